// The HTTP client of API.md: every call carries X-API-Key; a non-2xx answer becomes an ApiError holding
// the envelope's code, message, request id and validation errors, worded for a person by describe().
export const API_BASE = '/api/v1';
const KEY_STORAGE = 'claudelens.apiKey';

export function getKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}
export function setKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export interface FieldError {
  field: string;
  message: string;
  code?: string;
  value?: unknown;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public requestId: string | null,
    public validationErrors: FieldError[] = [],
    public details: unknown = null,
    /// Seconds to wait before trying again (Retry-After of a 429), when given.
    public retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/// TanStack Query's retry rule for reads: only a 429 is retried (up to 3 times, after its Retry-After),
/// since a key's 100 requests a minute are shared by every tab and script using it.
export const retryRateLimited = (failures: number, error: unknown) => error instanceof ApiError && error.status === 429 && failures < 3;
export const retryDelay = (_failures: number, error: unknown) =>
  Math.min(30, error instanceof ApiError && error.retryAfter ? error.retryAfter : 2) * 1000;

/// What a person reads for an API error code (the server's own message follows it).
const WORDS: Record<string, string> = {
  UNAUTHORIZED: 'The API key was not accepted.',
  FORBIDDEN: 'This key may not do that (an admin key is needed).',
  VALIDATION_FAILED: 'Some fields need fixing.',
  INVALID_REQUEST: 'The request was not understood.',
  INVALID_BACKUP_TYPE: 'Unknown backup type.',
  INVALID_BACKUP_FILE: 'This file is not a readable ClaudeLens backup.',
  INVALID_DATE_RANGE: 'The date range is not valid (start must be before end, end not in the future).',
  BACKUP_NOT_FOUND: 'That backup does not exist (or is not yours).',
  JOB_NOT_FOUND: 'That job does not exist.',
  BACKUP_IN_PROGRESS: 'A backup is running that this would overlap.',
  RESTORE_IN_PROGRESS: 'A restore is running; wait for it to finish.',
  BACKUP_HAS_DEPENDENTS: 'Other backups depend on this one.',
  BACKUP_FILE_MISSING: 'The backup is recorded but its file is gone.',
  FILE_TOO_LARGE: 'The file is larger than the server accepts.',
  INCOMPATIBLE_VERSION: 'This backup was written by a newer ClaudeLens.',
  RATE_LIMIT_EXCEEDED: 'Too many requests; try again shortly.',
  INTERNAL_ERROR: 'The server failed unexpectedly.',
  SERVICE_UNAVAILABLE: 'The server is busy or shutting down.',
  INSUFFICIENT_STORAGE: 'Not enough free space or quota for this.',
};

export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    const words = WORDS[error.code] ?? `Request failed (${error.status}).`;
    return error.message && error.message !== words ? `${words} ${error.message}` : words;
  }
  if (error instanceof Error) return `Could not reach the server: ${error.message}`;
  return String(error);
}

async function toError(res: Response): Promise<ApiError> {
  let body: any = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const e = body?.error ?? {};
  return new ApiError(
    res.status,
    e.code ?? `HTTP_${res.status}`,
    e.message ?? res.statusText,
    e.request_id ?? res.headers.get('X-Request-Id'),
    body?.validation_errors ?? [],
    e.details ?? null,
    Number(res.headers.get('Retry-After')) || null,
  );
}

export async function request<T>(method: string, path: string, body?: unknown, key = getKey()): Promise<T> {
  const headers: Record<string, string> = {};
  if (key) headers['X-API-Key'] = key;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(API_BASE + path, { method, headers, body: payload });
  if (!res.ok) {
    if (res.status === 401 && key === getKey()) window.dispatchEvent(new Event('claudelens:unauthorized'));
    throw await toError(res);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body);
export const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

/// Query string from the defined, non-empty values.
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/// Uploads with progress (fetch has no upload progress): XMLHttpRequest.
export function upload<T>(path: string, form: FormData, onProgress: (loaded: number, total: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', API_BASE + path);
    const key = getKey();
    if (key) xhr.setRequestHeader('X-API-Key', key);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onerror = () => reject(new Error('the upload was interrupted'));
    xhr.onload = () => {
      let body: any = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else {
        const e = body?.error ?? {};
        reject(new ApiError(xhr.status, e.code ?? `HTTP_${xhr.status}`, e.message ?? xhr.statusText,
          e.request_id ?? xhr.getResponseHeader('X-Request-Id'), body?.validation_errors ?? [], e.details ?? null));
      }
    };
    xhr.send(form);
  });
}

/// A WebSocket to a job's live progress, authenticated by the `apikey.<KEY>` subprotocol.
export function jobSocket(kind: 'backups' | 'restore', jobId: string): WebSocket {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocket(`${proto}//${location.host}/ws/${kind}/${encodeURIComponent(jobId)}`, [`apikey.${getKey() ?? ''}`]);
}

// ---- types (API.md) ----
export interface Pagination {
  total_items: number;
  total_pages: number;
  current_page: number;
  page_size: number;
  has_next: boolean;
  has_previous: boolean;
}
export interface Paged<T> {
  items: T[];
  pagination: Pagination;
}
export interface BackupContents {
  projects_count: number;
  sessions_count: number;
  messages_count: number;
  prompts_count: number;
  ai_settings_count: number;
  total_documents: number;
  date_range?: { earliest?: string | null; latest?: string | null } | null;
}
export type BackupStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'corrupted' | 'deleting';
export interface Backup {
  _id: string;
  name: string;
  description?: string;
  filename?: string;
  created_at: string;
  created_by?: string;
  size_bytes: number;
  compressed_size_bytes: number;
  type: 'full' | 'selective' | 'incremental';
  status: BackupStatus;
  contents?: BackupContents;
  checksum?: string;
  version?: string;
  download_url?: string;
  can_restore?: boolean;
  error_message?: string | null;
  parent_backup_id?: string | null;
}
export interface BackupDetails extends Backup {
  storage_location?: string;
  encryption?: { enabled: boolean; algorithm?: string; key_id?: string | null };
  compression?: {
    enabled: boolean;
    algorithm?: string;
    level?: number;
    original_size_bytes?: number;
    compressed_size_bytes?: number;
    compression_ratio?: number;
  };
  restore_history?: {
    _id: string;
    restored_at: string;
    restored_by?: string;
    status: string;
    documents_restored: number;
    error_message?: string | null;
  }[];
  validation_status?: { validated_at?: string | null; is_valid?: boolean | null; errors?: string[]; warnings?: string[] };
}
export interface BackupList extends Paged<Backup> {
  summary: {
    total_size_bytes: number;
    total_backups: number;
    backups_by_type: Record<string, number>;
    oldest_backup?: string | null;
    newest_backup?: string | null;
  };
}
export interface Project {
  _id: string;
  name: string;
  path?: string;
  session_count?: number;
  sessions_count?: number;
  message_count?: number;
}
export interface Session {
  _id: string;
  session_id?: string;
  project_id?: string;
  summary?: string | null;
  started_at?: string;
  message_count?: number;
}
export interface JobProgress {
  percentage?: number;
  current_operation?: string;
  current_collection?: string;
  documents_processed?: number;
  documents_total?: number;
  documents_restored?: number;
  documents_skipped?: number;
  bytes_written?: number;
  elapsed_seconds?: number;
  estimated_remaining_seconds?: number | null;
}

// ---- settings, schedules, retention (API.md "Settings and schedules") ----
export type BackupType = 'full' | 'selective' | 'incremental';
export interface Schedule {
  _id: string;
  name: string;
  enabled: boolean;
  schedule: string;
  type: BackupType;
  filters?: Record<string, unknown>;
  options?: Record<string, unknown>;
  last_run?: string | null;
  next_run?: string | null;
}
export interface RetentionSettings {
  enabled?: boolean;
  max_backups?: number | null;
  max_age_days?: number | null;
  max_total_size_gb?: number | null;
  keep_daily?: number | null;
  keep_weekly?: number | null;
  keep_monthly?: number | null;
  auto_cleanup?: boolean;
  cleanup_schedule?: string | null;
}
export const NOTIFY_EVENTS = ['backup.completed', 'backup.failed', 'restore.completed', 'restore.failed', 'retention.deleted', 'storage.low'] as const;
export interface NotificationSettings {
  enabled?: boolean;
  email_recipients?: string[];
  smtp_url?: string | null;
  webhook_url?: string | null;
  webhook_secret?: string | null;
  notify_on?: string[];
}
export interface BackupSettings {
  storage?: { backend?: string; filesystem?: { base_directory?: string; max_size_gb?: number | null; current_usage_gb?: number | null } };
  retention?: RetentionSettings;
  scheduling?: { enabled?: boolean; schedules?: Schedule[] };
  notifications?: NotificationSettings;
}
export interface SettingsUpdated {
  message: string;
  updated_fields: string[];
  settings: BackupSettings;
  validation_warnings: string[];
}
export interface NextRuns {
  cron: string;
  runs: string[];
  description: string;
}
export interface RetentionPlan {
  delete: { _id: string; name: string; created_at: string; size_bytes: number; reason?: string }[];
  keep: { _id: string; name: string; kept_by: string[] }[];
  freed_bytes: number;
}
