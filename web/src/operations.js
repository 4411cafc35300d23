// What became of a write. Every 202 names its operation ("operation" in the body, Location:
// /api/operations/{id}); GET …?wait=5 answers as soon as storage has applied or rejected it, and
// "pending" otherwise, so the page asks again while pending, a bounded number of times.

const MAX_WAITS = 4; // up to about 20 s of ?wait=5 before saying "still being applied"

/**
 * Follow a write's 202 answer to its outcome, calling report(outcome) as it becomes known, and resolve to
 * the last outcome: {state: "pending" | "saved" | "rejected" | "unknown", detail?, code?, errors?}.
 * A rejection carries the reason's problem details: its `detail`, its `code` (not_found | conflict |
 * invalid) and field `errors`.
 */
export async function follow(api, answer, report, { signal } = {}) {
  const id = answer.body?.operation;
  if (!id) return told(report, { state: "unknown", detail: "the server named no operation to follow" });
  // Operations are storage's, whichever service took the write: keep Location's path, ask the owner.
  const location = answer.headers.get("Location");
  const path = location ? new URL(location, answer.url).pathname : `/api/operations/${encodeURIComponent(id)}`;
  const url = api.url("GET", path, { wait: 5 });
  report({ state: "pending" });
  for (let i = 0; i < MAX_WAITS; i += 1) {
    let operation;
    try {
      operation = (await api.send("GET", url, undefined, { signal })).body;
    } catch (error) {
      if (error.name === "AbortError") throw error;
      return told(report, { state: "unknown", detail: error.detail });
    }
    if (operation?.status === "applied") return told(report, { state: "saved" });
    if (operation?.status === "rejected") {
      const reason = operation.reason ?? operation.rejected_items?.[0]?.reason ?? {};
      return told(report, { state: "rejected", detail: reason.detail ?? "The change was refused.", code: reason.code, errors: reason.errors });
    }
  }
  return told(report, { state: "pending", detail: "It was accepted and is still being applied; it will show once it is." });
}

function told(report, outcome) {
  report(outcome);
  return outcome;
}

/** The words a person reads for an outcome. */
export function outcomeText({ state, detail }, what = "The change") {
  switch (state) {
    case "pending":
      return detail ?? `${what} was accepted; waiting for it to be applied…`;
    case "saved":
      return `${what} is saved.`;
    case "rejected":
      return `${what} was refused: ${detail}`;
    default:
      return `${what} was accepted, but its outcome could not be read: ${detail ?? "try reloading"}.`;
  }
}

/** The status line's tone for an outcome. */
export const tone = ({ state }) => (state === "saved" ? "ok" : state === "rejected" ? "error" : "info");

/**
 * Idempotency keys for one form's writes. The same request sent again after its answer was lost (no
 * connection, a 503) carries the same key, so the server hands back the first operation rather than
 * applying it twice; a different request, or one after an answer arrived, gets a fresh key.
 */
export class Keys {
  #last = null;

  /** The Idempotency-Key for this request ({method, path, body, ifMatch}). */
  for(request) {
    const signature = JSON.stringify(request);
    if (this.#last?.signature !== signature) this.#last = { signature, key: crypto.randomUUID() };
    return this.#last.key;
  }

  /** Send a PATCH, DELETE or PUT with its key (and If-Match when given); resolves to the 202 answer. */
  async write(api, method, path, body, { ifMatch, signal } = {}) {
    const headers = { "Idempotency-Key": this.for({ method, path, body, ifMatch }) };
    if (ifMatch) headers["If-Match"] = ifMatch;
    try {
      const answer = await api.write(method, path, body, { signal, headers });
      this.#last = null;
      return answer;
    } catch (error) {
      if (error.status && error.status < 500) this.#last = null; // answered: sent again, it is a new request
      throw error;
    }
  }
}

/** Call load() after growing pauses until done(result) holds or time runs out; resolves to that result or null. */
export async function until(load, done, { signal, pauses = [300, 700, 1500, 2500, 4000, 6000] } = {}) {
  for (const pause of pauses) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    if (signal?.aborted) return null;
    const result = await load();
    if (done(result)) return result;
  }
  return null;
}
