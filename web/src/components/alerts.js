// The latest budget alerts as a live feed: GET /api/alerts every 5 s while the overview is open.
// Contract: {"items": [{id, type: "budget.threshold", category, month, threshold: 80|100, currency,
// budget, spent, share_used, created_at}]}, newest first.
import { empty, failure, fill, h, money, percent, when } from "../dom.js";

const EVERY_MS = 5_000;

function alertItem(a) {
  const headline = a.threshold >= 100 ? `${a.category}: budget reached` : `${a.category}: ${a.threshold}% of the budget used`;
  return h(
    "li",
    { class: a.threshold >= 100 ? "alert over" : "alert warn", "data-id": a.id },
    h("strong", {}, headline),
    h("span", {}, ` ${a.month} · `, money(a.spent, a.currency), " of ", money(a.budget, a.currency), ` (${percent(a.share_used)})`),
    h("time", { class: "muted", datetime: a.created_at }, when(a.created_at)),
  );
}

/**
 * Fill `body` with the latest alerts and keep adding new ones until the page is left. They go into a
 * polite live region that enters the page already holding the first answer: a screen reader announces
 * each alert added later, not the ones there when the page opened.
 */
export function keepAlerts(api, body, { signal, onCleanup, limit = 5 }) {
  const seen = new Set();
  const list = h("ul", { class: "alerts" });
  const none = empty("No alerts yet.");
  const problem = h("div");
  let feed = null;
  let timer = null;

  function add(items) {
    const fresh = items.filter((a) => !seen.has(a.id));
    fresh.forEach((a) => seen.add(a.id));
    list.prepend(...fresh.map(alertItem)); // newest first, as the API lists them
    while (list.children.length > limit) list.lastElementChild.remove();
    if (list.children.length && none.isConnected) none.replaceWith(list);
  }

  // A hidden tab skips its turn rather than polling in the background.
  const schedule = () => {
    if (!signal.aborted) timer = setTimeout(() => (document.hidden ? schedule() : load()), EVERY_MS);
  };
  async function load() {
    try {
      const { body: answer } = await api.get("/api/alerts", { limit }, { signal });
      add(answer?.items ?? []);
      if (!feed) {
        feed = h("div", { class: "feed", "aria-live": "polite" }, list.children.length ? list : none);
        fill(body, feed, problem);
      }
      fill(problem);
    } catch (error) {
      if (error.name === "AbortError") return;
      // Said once, not at every turn of a feed that keeps failing.
      if (problem.textContent !== (error.detail ?? String(error))) fill(problem, failure(error));
      if (!feed) fill(body, problem);
    }
    schedule();
  }
  onCleanup(() => clearTimeout(timer));
  return load();
}
