import { toCamel, toSnake } from './case';

/** Canonical API prefix of the original (`/api/` is the alias). */
export const API_BASE = '/endoreg-api/';
const CSRF_COOKIE = 'csrftoken';
const CSRF_HEADER = 'X-CSRFToken';

/** A failed request with the German message to show and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
}

const STATUS_MESSAGES: Record<number, string> = {
  0: 'Der Server ist nicht erreichbar. Ihre Eingaben bleiben erhalten; bitte versuchen Sie es erneut.',
  400: 'Die Eingaben wurden vom Server abgelehnt.',
  401: 'Sie sind nicht (mehr) angemeldet.',
  403: 'Sie sind für diese Aktion nicht berechtigt.',
  404: 'Der Eintrag wurde nicht gefunden.',
  409: 'Der Eintrag wurde inzwischen von jemand anderem geändert.',
  413: 'Die Datei ist zu groß.',
  429: 'Zu viele Anfragen; bitte kurz warten.',
};

/** The German text for a failed response: the server's own message when it sent one. */
export function messageFor(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const key of ['detail', 'error', 'message']) {
      const v = b[key];
      if (typeof v === 'string' && v.trim() !== '') return v;
    }
  }
  return STATUS_MESSAGES[status] ?? `Serverfehler (${status}). Ihre Eingaben bleiben erhalten; bitte versuchen Sie es später erneut.`;
}

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

let csrfPromise: Promise<string | undefined> | undefined;
/** The CSRF token; `conf/` sets the cookie when the browser has none yet. */
async function csrfToken(): Promise<string | undefined> {
  const existing = readCookie(CSRF_COOKIE);
  if (existing) return existing;
  csrfPromise ??= fetch(`${API_BASE}conf/`, { credentials: 'same-origin' })
    .then(() => readCookie(CSRF_COOKIE))
    .finally(() => {
      csrfPromise = undefined;
    });
  return csrfPromise;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  /** Send the body as-is (no snake_case conversion), e.g. FormData. */
  readonly raw?: boolean;
  readonly signal?: AbortSignal;
  readonly headers?: Record<string, string>;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const url = path.startsWith('/') ? path : `${API_BASE}${path}`;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

/** One JSON request: snake_case out, camelCase in, CSRF on writes, German errors. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (options.raw) body = options.body as BodyInit;
    else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(toSnake(options.body));
    }
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const token = await csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, messageFor(0, undefined));
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw new ApiError(response.status, messageFor(response.status, parsed), toCamel(parsed));
  return toCamel<T>(parsed);
}

export const http = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PATCH', path, { ...options, body }),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};

/** Multipart upload with progress (fetch has no upload progress): XHR, same CSRF and errors. */
export async function uploadWithProgress<T>(path: string, form: FormData, onProgress: (fraction: number) => void, headers: Record<string, string> = {}): Promise<T> {
  const token = await csrfToken();
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(path));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader(CSRF_HEADER, token);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, messageFor(0, undefined)));
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        parsed = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(toCamel<T>(parsed));
      } else reject(new ApiError(xhr.status, messageFor(xhr.status, parsed), toCamel(parsed)));
    };
    xhr.send(form);
  });
}
