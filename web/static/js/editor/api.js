/* Calls to /api/v1 with the session cookie: JSON in and out, the CSRF token on every unsafe method.
 * A failed call rejects with an ApiError carrying the HTTP status and the JSON error body. */

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || ('HTTP ' + status));
    this.status = status;
    this.body = body || {};
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

export async function request(method, url, body) {
  const headers = { 'Accept': 'application/json' };
  const options = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRFToken'] = csrfToken();
  }
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const type = response.headers.get('Content-Type') || '';
  const payload = type.includes('application/json') ? await response.json() : await response.text();
  if (!response.ok) {
    throw new ApiError(response.status, typeof payload === 'object' ? payload : { error: String(payload).slice(0, 200) });
  }
  return payload;
}

export const get = (url) => request('GET', url);
export const post = (url, body) => request('POST', url, body);
export const put = (url, body) => request('PUT', url, body);
export const del = (url) => request('DELETE', url);

/** "%(n)s 条" style placeholders, filled from an object. */
export function fill(template, values) {
  return String(template).replace(/%\((\w+)\)[sd]/g, (_, name) => (values && name in values ? values[name] : ''));
}
