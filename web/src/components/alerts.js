// The latest budget alerts, kept current by polling GET /api/alerts while the page is open.
// Contract: {"items": [{id, type: "budget.threshold", category, month, threshold: 80|100, currency,
// budget, spent, share_used, created_at}]}, newest first.
import { empty, failure, fill, h, money, percent, when } from "../dom.js";

const EVERY_MS = 15_000;

function alertItem(a) {
  const headline = a.threshold >= 100 ? `${a.category}: budget reached` : `${a.category}: ${a.threshold}% of the budget used`;
  return h(
    "li",
    { class: a.threshold >= 100 ? "alert over" : "alert warn" },
    h("strong", {}, headline),
    h("span", {}, ` ${a.month} · `, money(a.spent, a.currency), " of ", money(a.budget, a.currency), ` (${percent(a.share_used)})`),
    h("time", { class: "muted", datetime: a.created_at }, when(a.created_at)),
  );
}

/** Fill `body` with the latest alerts and keep it current until the page is left. */
export function keepAlerts(api, body, { signal, onCleanup, limit = 5 }) {
  let timer = null;
  // A hidden tab skips its turn rather than polling in the background.
  const schedule = () => {
    if (!signal.aborted) timer = setTimeout(() => (document.hidden ? schedule() : load()), EVERY_MS);
  };
  async function load() {
    try {
      const { body: answer } = await api.get("/api/alerts", undefined, { signal });
      const items = (answer?.items ?? []).slice(0, limit);
      fill(body, items.length ? h("ul", { class: "alerts" }, items.map(alertItem)) : empty("No alerts yet."));
    } catch (error) {
      if (error.name === "AbortError") return;
      if (error.status === 404) return fill(body, empty("This server has no alerts feed yet.")); // and no more polling
      fill(body, failure(error));
    }
    schedule();
  }
  onCleanup(() => clearTimeout(timer));
  return load();
}
