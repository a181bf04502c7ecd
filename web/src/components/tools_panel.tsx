// SPDX-License-Identifier: Apache-2.0
import { useMemo, useState } from 'react';
import { split_tool_name } from '../lib/format';
import { group_tools } from '../studio/tool_groups';
import type { ToolDescriptor } from '../protocol/messages';
import type { SceneInfo } from '../studio/scene_info';
import type { CommandRun } from '../studio/session_state';
import { CommandRunView } from './command_run_view';
import { ToolForm } from './tool_form';

interface Props {
  tools: ToolDescriptor[];
  commands: CommandRun[];
  ready: boolean;
  on_run: (tool: string, args: Record<string, unknown>) => string;
  on_dismiss: (id: string) => void;
  scene?: SceneInfo | undefined;
  /// The object picked in the outliner: empty object-name fields start with it.
  selected?: string | undefined;
}

export function ToolsPanel({ tools, commands, ready, on_run, on_dismiss, scene, selected }: Props) {
  const [query, set_query] = useState('');
  const [open_tool, set_open_tool] = useState<string | null>(null);
  const groups = useMemo(() => group_tools(tools, query), [tools, query]);
  const others = commands.filter((run) => run.tool !== open_tool);

  if (tools.length === 0) {
    return <div className="panel-empty">{ready ? 'The engine declares no tools.' : 'Tools appear when the engine is ready.'}</div>;
  }
  return (
    <div>
      <div className="tools-search">
        <input type="search" placeholder={`Search ${tools.length} tools`} value={query} onChange={(event) => set_query(event.target.value)} aria-label="Search tools" />
      </div>
      {groups.length === 0 && <div className="panel-empty">No tool matches “{query}”.</div>}
      {groups.map((group) => (
        <details className="addon-group" key={group.addon} open>
          <summary>
            {group.addon}
            <span className="tab-count">{group.tools.length}</span>
          </summary>
          <ul className="tool-list">
            {group.tools.map((tool) => {
              const open = open_tool === tool.name;
              return (
                <li key={tool.name}>
                  <button className="tool-item" aria-expanded={open} onClick={() => set_open_tool(open ? null : tool.name)}>
                    <span className="name">{split_tool_name(tool.name, tool.addon).tool}</span>
                    {tool.description && <span className="desc">{tool.description}</span>}
                  </button>
                  {open && (
                    <ToolForm
                      tool={tool}
                      runs={commands.filter((run) => run.tool === tool.name)}
                      on_run={(args) => on_run(tool.name, args)}
                      on_dismiss={on_dismiss}
                      scene={scene}
                      selected={selected}
                    />
                  )}
                </li>
              );
            })}
          </ul>
        </details>
      ))}
      {others.length > 0 && (
        <div className="recent">
          <h3>Recent commands</h3>
          {others.slice(0, 6).map((run) => (
            <CommandRunView key={run.id} run={run} on_dismiss={() => on_dismiss(run.id)} />
          ))}
        </div>
      )}
    </div>
  );
}
