// Small shared pieces: the API error box (words + request id), status badges, a confirmation dialog,
// a progress bar and summary cards.
import { FormEvent, ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError, describe } from '../api';

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  return (
    <div className="error-box" role="alert">
      <strong>{title ?? 'Something went wrong'}</strong>
      <p>{api && restatesFields(api) ? describe(new ApiError(api.status, api.code, '', null)) : describe(error)}</p>
      {api && api.validationErrors.length > 0 && (
        <ul>
          {api.validationErrors.map((v, i) => (
            <li key={i}>
              <code>{v.field}</code>: {v.code === 'unsupported' ? 'this server does not support it yet — ' : ''}{v.message}
            </li>
          ))}
        </ul>
      )}
      {api?.requestId && (
        <p className="muted small">Code {api.code} · request id <code>{api.requestId}</code> (quote it when asking for help)</p>
      )}
    </div>
  );
}

/// The server's message only lists the field errors shown below it ("field: message; …").
function restatesFields(e: ApiError): boolean {
  return e.validationErrors.length > 0 && e.validationErrors.every((v) => e.message.includes(`${v.field}: ${v.message}`));
}

const STATUS_LABEL: Record<string, string> = {
  pending: 'Pending', in_progress: 'In progress', completed: 'Completed', failed: 'Failed',
  corrupted: 'Corrupted', deleting: 'Deleting', cancelled: 'Cancelled', queued: 'Queued', running: 'Running',
  success: 'Success', partial: 'Partial',
};
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const v = Math.max(0, Math.min(100, value));
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(v)}>
      <div className="progress-fill" style={{ width: `${v}%` }} />
    </div>
  );
}

export function Card({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="card stat">
      <div className="muted small">{label}</div>
      <div className="stat-value">{value}</div>
      {hint && <div className="muted small">{hint}</div>}
    </div>
  );
}

/// A modal confirmation, or information (native <dialog>: focus is trapped and Escape cancels).
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  /// Without one the dialog only informs: its one button is "Close".
  confirmLabel?: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm?: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal?.();
    if (!props.open && d.open) d.close?.();
  }, [props.open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="dialog-title" onCancel={(e) => { e.preventDefault(); props.onCancel(); }}>
      {props.open && (
        <>
          <h2 id="dialog-title">{props.title}</h2>
          <div>{props.children}</div>
          <div className="actions">
            <button type="button" className="secondary" onClick={props.onCancel} autoFocus>{props.confirmLabel ? 'Cancel' : 'Close'}</button>
            {props.confirmLabel && (
              <button type="button" className={props.danger ? 'danger' : ''} disabled={props.busy} onClick={props.onConfirm}>
                {props.confirmLabel}
              </button>
            )}
          </div>
        </>
      )}
    </dialog>
  );
}

export function invalid(id: string, error?: string) {
  return error ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : {};
}

export function Field({ id, label, error, children }: { id: string; label: string; error?: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error && <p className="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

/// The value after it stopped changing for `ms` (a live preview asks the server once per pause in
/// typing, not once per key).
export function useDebounced<T>(value: T, ms = 400): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/// A form's submit handler: marks the form touched (its own messages show), then focuses the first
/// invalid field, or sends.
export function submitter(errors: Record<string, string>, setTouched: (v: boolean) => void, send: () => void) {
  return (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length) {
      setTimeout(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    send();
  };
}

/// "Please fix the N fields marked above", once the form was submitted with errors.
export function FixFields({ errors, touched }: { errors: Record<string, string>; touched: boolean }) {
  const n = Object.keys(errors).length;
  if (!touched || n === 0) return null;
  return <p className="field-error" role="alert">Please fix the {n === 1 ? 'field' : `${n} fields`} marked above.</p>;
}
