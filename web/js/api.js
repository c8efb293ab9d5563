// The one way the dashboard talks to the API: every call carries the key from sessionStorage.
const KEY = 'ordersys.apiKey';

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  set(key) {
    sessionStorage.setItem(KEY, key);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** JSON in and out; `raw: true` returns the Response (CSV downloads). */
export async function api(path, { method = 'GET', body, headers = {}, raw = false, key = session.key } = {}) {
  const init = { method, headers: { ...headers } };
  if (key) init.headers.authorization = `Bearer ${key}`;
  if (body !== undefined) {
    if (body instanceof Blob) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let error = {};
    try {
      error = (await res.json()).error ?? {};
    } catch {
      // not JSON
    }
    if (res.status === 401 && key === session.key) window.dispatchEvent(new CustomEvent('ordersys:unauthorized'));
    throw new ApiError(res.status, error.code ?? 'HTTP_' + res.status, error.message ?? res.statusText);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

/** Query string from an object, skipping empty values. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Fetches with the key and saves the body as a file (the link itself could not send the header). */
export async function download(path, fileName) {
  const res = await api(path, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
