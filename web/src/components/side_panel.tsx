// SPDX-License-Identifier: Apache-2.0
import { useEffect, useState, type KeyboardEvent } from 'react';
import type { Studio } from '../studio/use_studio';
import type { Uploads } from '../studio/use_uploads';
import { FilesPanel } from './files_panel';
import { Outliner } from './outliner';
import { RendersPanel } from './renders_panel';
import { ToolsPanel } from './tools_panel';
import { VersionsPanel } from './versions_panel';

export type Tab = 'tools' | 'scene' | 'files' | 'versions' | 'renders';

interface Props {
  project_id: string;
  kind?: string | undefined;
  studio: Studio;
  uploads: Uploads;
  /// The asset folder uploads go to by default.
  upload_folder: string;
  /// Bumped by an upload or a delete of this tab (the hub's `version:created` bumps the view's).
  files_tick: number;
  on_files_changed: () => void;
  /// Asks for a tab (files dropped on the studio show the Files tab); `n` makes a repeat count.
  tab_request?: { tab: Tab; n: number } | undefined;
}

export function SidePanel({ project_id, kind, studio, uploads, upload_folder, files_tick, on_files_changed, tab_request }: Props) {
  const [tab, set_tab] = useState<Tab>('tools');
  useEffect(() => {
    if (tab_request) set_tab(tab_request.tab);
  }, [tab_request]);
  const [selected, set_selected] = useState<string | undefined>(undefined);
  const { view } = studio;
  // The outliner where the engine describes its objects (Blender, not the Remotion project).
  const TABS: Tab[] = kind !== 'remotion' && view.scene ? ['tools', 'scene', 'files', 'versions', 'renders'] : ['tools', 'files', 'versions', 'renders'];
  const select_tool = view.tools.find((tool) => tool.name === 'scene__select_objects')?.name;
  const select = (name: string) => {
    set_selected(name);
    if (select_tool) studio.run_command(select_tool, { names: name });
  };
  const active_renders = view.renders.filter((job) => !['done', 'failed', 'cancelled'].includes(job.state)).length;
  const counts: Record<Tab, string> = {
    tools: view.tools.length > 0 ? String(view.tools.length) : '',
    scene: view.scene ? String(view.scene.objects.length) : '',
    files: uploads.uploads.some((upload) => upload.state === 'uploading' || upload.state === 'waiting') ? '↑' : '',
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
    <section className="panel" aria-label="Tools, files, versions and renders">
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
        {tab === 'files' && <FilesPanel project_id={project_id} folder={upload_folder} uploads={uploads} tick={view.version_tick + files_tick} on_deleted={on_files_changed} />}
        {tab === 'versions' && <VersionsPanel project_id={project_id} kind={kind} tick={view.version_tick + files_tick} on_restore={studio.restore_version} />}
        {tab === 'renders' && <RendersPanel project_id={project_id} jobs={view.renders} tick={view.renders_tick} on_cancel={studio.cancel_command} kind={kind} />}
      </div>
    </section>
  );
}
