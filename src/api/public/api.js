// Thin fetch wrapper: JSON in and out, the bearer token from sessionStorage, and the API's error shape
// ({ error: { code, message, details } }) turned into an ApiError whose message is the API's own.
const TOKEN_KEY = 'sitesweep.apiToken';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? null;
  }
}

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) || '';
export const setToken = (t) => (t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY));

export async function api(method, path, body, { signal } = {}) {
  const headers = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', `The API could not be reached: ${err && err.message ? err.message : err}`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = data && data.error;
    throw new ApiError(res.status, (e && e.code) || `http_${res.status}`, (e && e.message) || `${res.status} ${res.statusText}`, e && e.details);
  }
  return data;
}

/**
 * Downloads a file from the API with the bearer token (a plain link cannot carry it): fetch, then save the Blob under
 * the name the API gives in Content-Disposition.
 */
export async function apiDownload(path, fallbackName) {
  const headers = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { headers });
  } catch (err) {
    throw new ApiError(0, 'network', `The API could not be reached: ${err && err.message ? err.message : err}`);
  }
  if (!res.ok) {
    let e = null;
    try {
      e = (await res.json()).error;
    } catch {
      e = null;
    }
    throw new ApiError(res.status, (e && e.code) || `http_${res.status}`, (e && e.message) || `${res.status} ${res.statusText}`, e && e.details);
  }
  const blob = await res.blob();
  const m = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
  const name = (m && m[1]) || fallbackName;
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return { name, size: blob.size };
}
