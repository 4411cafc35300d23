// Administration (Budget.Admin only): all users' totals, active users, and how far analytics lags.
// The API decides: a token without the role gets 403, shown here as a refusal, whatever the page thinks.
import { freshness } from "../components/freshness.js";
import { monthPicker } from "../components/month-picker.js";
import { append, card, currentMonth, empty, failure, fill, h, isMonth, money, table, when } from "../dom.js";
import { navigate } from "../router.js";

function summary(data) {
  const rows = Object.entries(data.currencies).map(([c, f]) => [c, money(f.income, c), money(f.expense, c), money(f.net, c), String(f.transactions), String(f.users)]);
  return [
    h("p", {}, `Users with transactions in ${data.month}: ${data.users}`),
    rows.length ? table(`All users, ${data.month}`, ["Currency", "Income", "Expense", "Net", "Transactions", "Users"], rows, { numeric: [1, 2, 3, 4, 5] }) : empty("Nothing recorded this month."),
  ];
}

function active(data) {
  return [
    h("p", {}, `Distinct users over these months: ${data.distinct_users}`),
    table("Active users per month", ["Month", "Active users"], data.months.map((m) => [m.month, String(m.active_users)]), { numeric: [1] }),
  ];
}

function lag(data) {
  const facts = [
    ["Changes behind", String(data.changes_behind)],
    ["Rows behind", String(data.rows_behind)],
    ["Store watermark", String(data.store_watermark)],
    ["Source change sequence", String(data.source_change_seq)],
    ["Last sync", when(data.synced_at)],
    ["Seconds since the sync", String(data.seconds_since_sync)],
  ];
  return h("dl", { class: "facts" }, facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))));
}

export async function render(main, { app, params, signal }) {
  const { api } = app;
  const month = isMonth(params.get("month")) ? params.get("month") : currentMonth();
  const cards = { summary: card(`All users, ${month}`, { wide: true }), active: card("Active users, 12 months"), lag: card("Analytics lag") };
  const refusal = h("div", { role: "alert" });
  const grid = h("div", { class: "grid" }, Object.values(cards).map((c) => c.section));
  append(main, h("div", { class: "page-head" }, h("h1", {}, "Administration"), monthPicker(month, (m) => navigate("/admin", { month: m }))), refusal, grid);

  const load = async (body, path, params, show) => {
    try {
      const answer = (await api.get(path, params, { signal })).body;
      fill(body, show(answer.data), freshness(answer.freshness));
    } catch (error) {
      if (error.name === "AbortError") return;
      if (error.status === 403) {
        grid.hidden = true;
        fill(refusal, h("div", { class: "refused" }, h("h2", {}, "Refused: administrators only"), h("p", {}, error.detail), h("p", {}, "Sign in with an account that has the Budget.Admin role.")));
      } else fill(body, failure(error));
    }
  };
  await Promise.all([
    load(cards.summary.body, "/api/admin/all-users-summary", { month }, summary),
    load(cards.active.body, "/api/admin/active-users", { months: 12, until: month }, active),
    load(cards.lag.body, "/api/admin/lag", {}, lag),
  ]);
}
