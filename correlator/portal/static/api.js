// api.js: the portal's only door to the correlator (/api/v1, docs/api.md).
// The browser authenticates with the HttpOnly session cookie; every
// state-changing request carries the session's CSRF token. A 401 sends the
// user back to the login form (session expired or logged out elsewhere).

const BASE = '/api/v1';
let csrf = '';
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, msg, body) {
    super(msg);
    this.status = status;
    this.body = body;
  }
}

export function setCsrf(tok) {
  csrf = tok || '';
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function call(method, path, body, opts) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(BASE + path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let j = null;
  if (r.status !== 204) {
    const txt = await r.text();
    try { j = txt ? JSON.parse(txt) : null; } catch { j = null; }
  }
  if (!r.ok) {
    if (r.status === 401 && !(opts && opts.quiet401)) onUnauthorized();
    throw new ApiError(r.status, (j && j.error) || `HTTP ${r.status}`, j);
  }
  return j;
}

export const get = (p, o) => call('GET', p, undefined, o);
export const post = (p, b) => call('POST', p, b === undefined ? {} : b);
export const patch = (p, b) => call('PATCH', p, b);
export const put = (p, b) => call('PUT', p, b);
export const del = (p) => call('DELETE', p);

// ?a=1&b=2 from an object, skipping empty values.
export function qs(o) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== '' && v !== null && v !== undefined) u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}
