// SPDX-License-Identifier: Apache-2.0
import { useEffect, useRef, type ReactNode } from 'react';

interface Props {
  title: string;
  children: ReactNode;
  confirm_label: string;
  danger?: boolean;
  busy?: boolean;
  on_confirm: () => void;
  on_cancel: () => void;
}

/// A modal confirmation on the native <dialog>: focus is trapped and Esc cancels for free.
export function ConfirmDialog({ title, children, confirm_label, danger = false, busy = false, on_confirm, on_cancel }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal?.();
    return () => dialog?.close?.();
  }, []);
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        on_cancel();
      }}
    >
      <div className="confirm-body">
        <h2 id="confirm-title">{title}</h2>
        <div className="dim">{children}</div>
      </div>
      <div className="confirm-actions">
        <button onClick={on_cancel} autoFocus>
          Cancel
        </button>
        <button className={danger ? 'danger solid' : 'primary'} onClick={on_confirm} disabled={busy}>
          {busy ? 'Working…' : confirm_label}
        </button>
      </div>
    </dialog>
  );
}
