// SPDX-License-Identifier: Apache-2.0
import { useCallback, useMemo, useEffect, useState } from 'react';
import { all_versions } from '../api/files';
import { hub, type RenderFile, type Version } from '../api/projects';
import { newest_still, type Still } from '../studio/thumbnails';
import { DiffView } from './diff_view';
import { short_rev } from '../lib/format';
import { ConfirmDialog } from './confirm_dialog';
import { ErrorNotice } from './error_notice';
import { load_version_labels } from '../studio/version_labels';
import { VersionItem } from './version_item';

interface Props {
  project_id: string;
  kind?: string | undefined;
  /// Changes whenever a version may have been created; the list reloads.
  tick: number;
  /// Restores `rev` (and restarts the engine from it); rejects when the restore failed.
  on_restore: (rev: string, label: string) => Promise<void>;
}

export function VersionsPanel({ project_id, kind, tick, on_restore }: Props) {
  const [versions, set_versions] = useState<Version[] | null>(null);
  const [error, set_error] = useState<{ error: unknown; action: string } | null>(null);
  const [restoring, set_restoring] = useState<Version | null>(null);
  const [busy, set_busy] = useState(false);
  const [diffing, set_diffing] = useState<Version | null>(null);
  const [renders, set_renders] = useState<RenderFile[]>([]);
  // Read again with every list: the command that made the newest version has just saved its label.
  const labels = useMemo(() => load_version_labels(project_id), [project_id, versions]);

  // A picture per version when no hub picture loads (Remotion has no viewport): a render made from it.
  const stills = useMemo(() => {
    const result: Record<string, Still> = {};
    for (const version of versions ?? []) {
      const still = newest_still(renders, version.rev);
      if (still) result[version.rev] = still;
    }
    return result;
  }, [versions, renders]);

  // The hub's pictures of the viewport at each version (a version made without one has none).
  const [pictures, set_pictures] = useState<Record<string, string>>({});
  useEffect(() => {
    let cancelled = false;
    hub
      .list_thumbnails(project_id)
      .then((list) => !cancelled && set_pictures(list.by_rev))
      .catch(() => {
        // Without pictures the list still loads.
      });
    return () => {
      cancelled = true;
    };
  }, [project_id, tick]);

  useEffect(() => {
    let cancelled = false;
    hub
      .list_renders(project_id)
      .then((list) => !cancelled && set_renders(list))
      .catch(() => {
        // Without renders the versions show no picture; the list itself still loads.
      });
    return () => {
      cancelled = true;
    };
  }, [project_id, tick]);

  const load = useCallback(() => {
    all_versions(project_id)
      .then((list) => {
        set_versions(list);
        set_error(null);
      })
      .catch((failure: unknown) => set_error({ error: failure, action: 'Loading versions failed' }));
  }, [project_id]);

  useEffect(load, [load, tick]);

  const restore = async () => {
    if (!restoring) return;
    set_busy(true);
    try {
      await on_restore(restoring.rev, restoring.message || short_rev(restoring.rev));
      set_restoring(null);
      load();
    } catch (failure) {
      set_restoring(null);
      set_error({ error: failure, action: 'Restoring failed' });
    } finally {
      set_busy(false);
    }
  };

  return (
    <div>
      {error && (
        <div style={{ padding: 12 }}>
          <ErrorNotice error={error.error} action={error.action} on_dismiss={() => set_error(null)} />
        </div>
      )}
      {versions === null && !error && <div className="panel-empty">Loading versions…</div>}
      {versions?.length === 0 && <div className="panel-empty">No versions yet. Every agent turn and every change made with a tool is saved as one.</div>}
      {versions && versions.length > 0 && (
        <ul className="version-list">
          {versions.map((version, index) => (
            <VersionItem key={version.rev || index} project_id={project_id} kind={kind} version={version} current={index === 0} on_restore={() => set_restoring(version)} label={labels[version.rev]} picture={pictures[version.rev]} still={stills[version.rev]} on_diff={() => set_diffing(version)} />
          ))}
        </ul>
      )}
      {diffing && versions && <DiffView project_id={project_id} version={diffing} versions={versions} label={labels[diffing.rev]} on_close={() => set_diffing(null)} />}
      {restoring && (
        <ConfirmDialog title="Restore this version?" confirm_label="Restore" busy={busy} on_confirm={restore} on_cancel={() => set_restoring(null)}>
          The project goes back to “{restoring.message || short_rev(restoring.rev)}” and the engine restarts from it.
          Nothing is lost: the restore is saved as a new version, so you can return to the current state from the list.
        </ConfirmDialog>
      )}
    </div>
  );
}
