// SPDX-License-Identifier: Apache-2.0
import { useCallback, useRef, useState } from 'react';
import { upload_file } from '../api/files';
import { describe_error } from '../api/http';

/// Uploads of the studio (Files panel button, or files dropped anywhere on the studio), one at a
/// time in the order given, each with its progress and its end: a version, or the hub's reason.

export interface Upload {
  id: number;
  name: string;
  path: string;
  size: number;
  sent: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  error?: string;
  version?: string;
}

/// Where files go unless the user says: the engine kind's asset folder (DESIGN §7).
export function asset_folder(kind: string | undefined): string {
  return kind === 'remotion' ? 'public' : 'assets';
}

/// "public" + "logo final.png" → "public/logo final.png"; a folder with slashes around is fine.
export function upload_path(folder: string, name: string): string {
  const clean = folder.split('/').filter(Boolean).join('/');
  return clean ? `${clean}/${name}` : name;
}

export function use_uploads(project_id: string, on_uploaded: (upload: Upload) => void) {
  const [uploads, set_uploads] = useState<Upload[]>([]);
  const next_id = useRef(1);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const notify = useRef(on_uploaded);
  notify.current = on_uploaded;

  const patch = (id: number, change: Partial<Upload>) => set_uploads((list) => list.map((item) => (item.id === id ? { ...item, ...change } : item)));

  const add = useCallback(
    (files: File[], folder: string) => {
      for (const file of files) {
        const upload: Upload = { id: next_id.current++, name: file.name, path: upload_path(folder, file.name), size: file.size, sent: 0, state: 'waiting' };
        set_uploads((list) => [...list, upload]);
        queue.current = queue.current.then(async () => {
          patch(upload.id, { state: 'uploading' });
          try {
            const result = await upload_file(project_id, upload.path, file, (sent) => patch(upload.id, { sent }));
            const done: Partial<Upload> = { state: 'done', sent: file.size, path: result.path, ...(result.version ? { version: result.version } : {}) };
            patch(upload.id, done);
            notify.current({ ...upload, ...done });
          } catch (error) {
            patch(upload.id, { state: 'failed', error: describe_error(error) });
          }
        });
      }
    },
    [project_id],
  );

  const dismiss = useCallback((id: number) => set_uploads((list) => list.filter((item) => item.id !== id)), []);

  return { uploads, add, dismiss };
}

export type Uploads = ReturnType<typeof use_uploads>;
