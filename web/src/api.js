// The API client: which service answers which path, the bearer token, and problem details as errors.

/** An answer other than 2xx, carrying its RFC 9457 problem details (detail, errors: [{field, message}]). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `The server answered ${status}.`);
    this.status = status;
    this.problem = problem ?? {};
    this.detail = this.message;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

/** The service that owns a path: writes go to the receiver; reads of one's transactions and operations to storage. */
export function serviceFor(method, path) {
  if (/^\/api\/(reports|admin|alerts|webhooks)(\/|$)/.test(path)) return "analyzer";
  if (method === "GET" && /^\/api\/(transactions|operations|accounts|settings)(\/|$)/.test(path)) return "storage";
  if (/^\/api\/rates(\/|$)/.test(path)) return "storage";
  return "receiver";
}

function query(params) {
  const pairs = Object.entries(params ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return pairs.length ? "?" + new URLSearchParams(pairs).toString() : "";
}

export class Api {
  constructor(apiUrls, session) {
    this.bases = apiUrls ?? {};
    this.session = session;
    // The token may go only to this origin and the configured API origins.
    this.trusted = new Set([location.origin, ...Object.values(this.bases).filter(Boolean).map((u) => new URL(u).origin)]);
  }

  url(method, path, params) {
    const base = this.bases[serviceFor(method, path)] ?? "";
    return new URL(base + path + query(params), location.origin);
  }

  get(path, params, options) {
    return this.send("GET", this.url("GET", path, params), undefined, options);
  }

  write(method, path, body, options) {
    return this.send(method, this.url(method, path), body, options);
  }

  /** One call; resolves to {status, body, headers, url}, rejects with ApiError. `headers`: e.g. If-Match. */
  async send(method, url, body, { signal, headers: extra } = {}) {
    if (!this.trusted.has(url.origin)) throw new ApiError(0, { detail: `Refusing to send your token to ${url.origin}.` });
    const headers = { ...extra, Accept: "application/json", Authorization: `Bearer ${await this.session.token()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, { detail: "The service could not be reached. Check the connection and try again." });
    }
    const type = response.headers.get("content-type") ?? "";
    const data = /json/.test(type) ? await response.json().catch(() => null) : null;
    if (response.status === 401) {
      this.session.end("Your session has ended: sign in again.");
      location.hash = "#/sign-in";
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return { status: response.status, body: data, headers: response.headers, url: response.url };
  }
}
