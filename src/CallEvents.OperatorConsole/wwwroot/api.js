// The operator API, called with the key the operator signed in with. The key lives in this tab's sessionStorage
// only: it is gone when the tab closes and is never written to a cookie, localStorage or a URL.

const KEY_ITEM = 'callevents.operatorKey';

export const session = {
  get key() { return sessionStorage.getItem(KEY_ITEM); },
  get signedIn() { return sessionStorage.getItem(KEY_ITEM) !== null; },
  signIn(key) { sessionStorage.setItem(KEY_ITEM, key); },
  signOut() { sessionStorage.removeItem(KEY_ITEM); },
};

/** A non-2xx answer (status 0: the service could not be reached), with its problem details when it sent some. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

/**
 * Calls the operator API at a path relative to the service root (the page is served at <root>/console, so a relative
 * URL resolves against the root, also behind a path prefix). Returns the parsed JSON answer.
 */
export async function api(path, { method = 'GET', key = session.key, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) {
    headers.Authorization = `Bearer ${key}`;
  }

  let response;
  try {
    response = await fetch(new URL(path, document.baseURI), { method, headers, signal, cache: 'no-store', credentials: 'omit' });
  } catch (error) {
    if (error.name === 'AbortError') {
      throw error;
    }
    throw new ApiError(0, { title: 'Network error', detail: 'The service could not be reached.' }, null);
  }

  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }

  if (!response.ok) {
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    throw new ApiError(response.status, body, Number.isFinite(retryAfter) ? retryAfter : null);
  }
  return body;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(name, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The API path of a call (`calls/{source}/{id}`) or workflow execution (`workflows/{id}`). */
export function entityPath(entity) {
  return entity.kind === 'call'
    ? `calls/${encodeURIComponent(entity.source)}/${encodeURIComponent(entity.id)}`
    : `workflows/${encodeURIComponent(entity.id)}`;
}
