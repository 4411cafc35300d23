// What became of a write. Today the API answers 202 "accepted"; once it grows operations, a 202 body
// carries "operation" and Location: /api/operations/{id}, whose GET ?wait=5 tells pending, applied or
// rejected (with the reason as problem details). Both shapes are handled here.

const MAX_WAITS = 4; // up to about 20 s of ?wait=5 before saying "still being applied"

/**
 * Follow a write's 202 answer to its outcome, calling report({state, detail}) as it becomes known:
 * "accepted" (no operation to follow), "pending", "saved", "rejected" or "unknown".
 */
export async function follow(api, answer, report, { signal } = {}) {
  const operation = answer.body?.operation;
  if (!operation) {
    report({ state: "accepted" });
    return "accepted";
  }
  const location = answer.headers.get("Location") ?? `/api/operations/${encodeURIComponent(operation)}`;
  const url = new URL(location, answer.url); // relative to the service that answered the write
  url.searchParams.set("wait", "5");
  report({ state: "pending" });
  for (let i = 0; i < MAX_WAITS; i += 1) {
    let status;
    try {
      status = (await api.send("GET", url, undefined, { signal })).body;
    } catch (error) {
      if (error.name === "AbortError") throw error;
      report({ state: "unknown", detail: error.detail });
      return "unknown";
    }
    if (status?.status === "applied") {
      report({ state: "saved" });
      return "saved";
    }
    if (status?.status === "rejected") {
      report({ state: "rejected", detail: status.reason?.detail ?? "The change was refused.", errors: status.reason?.errors });
      return "rejected";
    }
  }
  report({ state: "pending", detail: "Still being applied; it will show once it is." });
  return "pending";
}

/** The words a person reads for an outcome. */
export function outcomeText({ state, detail }, what = "The change") {
  switch (state) {
    case "accepted":
      return `${what} was accepted and will show in a moment.`;
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
