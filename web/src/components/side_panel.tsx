import { useState, type KeyboardEvent } from 'react';
import type { Studio } from '../studio/use_studio';
import { Outliner } from './outliner';
import { RendersPanel } from './renders_panel';
import { ToolsPanel } from './tools_panel';
import { VersionsPanel } from './versions_panel';

type Tab = 'tools' | 'scene' | 'versions' | 'renders';

interface Props {
  project_id: string;
  kind?: string | undefined;
  studio: Studio;
}

export function SidePanel({ project_id, kind, studio }: Props) {
  const [tab, set_tab] = useState<Tab>('tools');
  const [selected, set_selected] = useState<string | undefined>(undefined);
  const { view } = studio;
  // The outliner where the engine describes its objects (Blender, not the Remotion project).
  const TABS: Tab[] = kind !== 'remotion' && view.scene ? ['tools', 'scene', 'versions', 'renders'] : ['tools', 'versions', 'renders'];
  const select_tool = view.tools.find((tool) => tool.name === 'scene__select_objects')?.name;
  const select = (name: string) => {
    set_selected(name);
    if (select_tool) studio.run_command(select_tool, { names: name });
  };
  const active_renders = view.renders.filter((job) => !['done', 'failed', 'cancelled'].includes(job.state)).length;
  const counts: Record<Tab, string> = {
    tools: view.tools.length > 0 ? String(view.tools.length) : '',
    scene: view.scene ? String(view.scene.objects.length) : '',
    versions: '',
    renders: active_renders > 0 ? String(active_renders) : view.renders.length > 0 ? String(view.renders.length) : '',
  };

  // Arrow keys move between tabs, as in any tab list.
  const on_key_down = (event: KeyboardEvent) => {
    const index = TABS.indexOf(tab);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length]!;
    set_tab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };

  return (
    <section className="panel" aria-label="Tools, versions and renders">
      <div className="panel-head" style={{ padding: '0 4px' }}>
        <div className="tabs" role="tablist" onKeyDown={on_key_down}>
          {TABS.map((name) => (
            <button
              key={name}
              id={`tab-${name}`}
              role="tab"
              aria-selected={tab === name}
              aria-controls={`tabpanel-${name}`}
              tabIndex={tab === name ? 0 : -1}
              onClick={() => set_tab(name)}
            >
              {name}
              {counts[name] && <span className="tab-count">{counts[name]}</span>}
            </button>
          ))}
        </div>
      </div>
      <div className="panel-body" role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'tools' && (
          <ToolsPanel tools={view.tools} commands={view.commands} ready={view.status.state === 'ready' || view.status.state === 'busy'} on_run={studio.run_command} on_dismiss={studio.dismiss_command} scene={view.scene} selected={selected} />
        )}
        {tab === 'scene' && <Outliner scene={view.scene} selected={selected} on_select={select} />}
        {tab === 'versions' && <VersionsPanel project_id={project_id} kind={kind} tick={view.version_tick} on_restore={studio.restore_version} />}
        {tab === 'renders' && <RendersPanel project_id={project_id} jobs={view.renders} tick={view.renders_tick} on_cancel={studio.cancel_command} />}
      </div>
    </section>
  );
}
