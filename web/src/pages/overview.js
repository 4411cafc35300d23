// Overview of a month: totals per currency, budgets, the 12-month trend, categories, the largest
// expenses, recent transactions and the latest alerts, with how fresh the figures are.
import { keepAlerts } from "../components/alerts.js";
import { budgetList } from "../components/budget-bars.js";
import { convertedTotal } from "../components/converted.js";
import { freshness } from "../components/freshness.js";
import { monthPicker } from "../components/month-picker.js";
import { describe, signedAmount } from "../components/transaction-row.js";
import { trendChart, trendCurrencies } from "../components/trend-chart.js";
import { append, card, currentMonth, empty, failure, fill, h, isMonth, money, monthRange, percent, table, uid } from "../dom.js";
import { href, navigate } from "../router.js";

/** Run one section's loader; a failure shows in that section only. */
async function section(body, load) {
  try {
    await load();
  } catch (error) {
    if (error.name !== "AbortError") fill(body, failure(error));
  }
}

function totals(data) {
  const entries = Object.entries(data.currencies);
  if (!entries.length) return empty(`No transactions in ${data.month} yet.`);
  return h(
    "div",
    { class: "totals" },
    entries.map(([currency, f]) =>
      h(
        "div",
        { class: "total" },
        h("h3", {}, currency),
        h(
          "dl",
          { "aria-label": `${currency} totals` },
          h("div", {}, h("dt", {}, "Income"), h("dd", {}, money(f.income, currency))),
          h("div", {}, h("dt", {}, "Expense"), h("dd", {}, money(f.expense, currency))),
          h("div", {}, h("dt", {}, "Net"), h("dd", {}, money(f.net, currency))),
          h("div", {}, h("dt", {}, "Transactions"), h("dd", {}, String(f.transactions))),
        ),
      ),
    ),
    convertedTotal(data.converted), // with a home currency set: the month in it, naming the rates used
  );
}

function trendSection(body, months, onCleanup) {
  const currencies = trendCurrencies(months);
  if (!currencies.length) return fill(body, empty("No income or expense in these twelve months yet."));
  let drawn = null;
  const holder = h("div");
  const draw = (currency) => {
    drawn?.destroy();
    drawn = trendChart(months, currency);
    fill(holder, drawn.element);
  };
  onCleanup(() => drawn?.destroy());
  const id = uid("trend-currency");
  const select = h("select", { id, onchange: (e) => draw(e.target.value) }, currencies.map((c) => h("option", { value: c }, c)));
  fill(body, currencies.length > 1 ? h("div", { class: "field inline" }, h("label", { for: id }, "Currency"), select) : null, holder);
  draw(currencies[0]);
}

function breakdown(data) {
  if (!data.categories.length) return empty("No categories this month yet.");
  return table(
    `Categories, ${data.from} to ${data.to}`,
    ["Category", "Income", "Expense", "Net", "Share of expense"],
    data.categories.map((c) => [c.category, money(c.income, c.currency), money(c.expense, c.currency), money(c.net, c.currency), percent(c.share_of_expense)]),
    { numeric: [1, 2, 3, 4] },
  );
}

function largest(data) {
  const groups = Object.entries(data.currencies);
  if (!groups.length) return empty("No expenses this month yet.");
  return groups.map(([currency, g]) =>
    h(
      "ol",
      { class: "plain-list", "aria-label": `Largest expenses in ${currency}` },
      g.largest.map((t) => h("li", {}, h("span", {}, t.date, " · ", t.category, " · ", describe(t)), money(t.amount, currency))),
    ),
  );
}

function recent(items, month) {
  if (!items.length) return empty(`Nothing recorded in ${month} yet.`);
  return h(
    "div",
    {},
    h("ul", { class: "plain-list" }, items.map((t) => h("li", {}, h("span", {}, t.date, " · ", t.category, " · ", describe(t)), signedAmount(t)))),
    h("p", {}, h("a", { href: href("/transactions") }, "All transactions")),
  );
}

export async function render(main, { app, params, signal, onCleanup }) {
  const { api } = app;
  const month = isMonth(params.get("month")) ? params.get("month") : currentMonth();
  const { from, to } = monthRange(month);
  const fresh = h("div", { class: "fresh-slot" });
  const cards = {
    totals: card(`Totals for ${month}`, { wide: true }),
    budgets: card("Budgets"),
    alerts: card("Latest alerts"),
    recent: card("Recent transactions"),
    trend: card("Income and expense, 12 months", { wide: true, id: "trend" }),
    categories: card("Categories", { span: 2 }),
    top: card("Largest expenses"),
  };
  append(main, 
    h("div", { class: "page-head" }, h("h1", {}, "Overview"), monthPicker(month, (m) => navigate("/overview", { month: m }))),
    fresh,
    h("div", { class: "grid" }, Object.values(cards).map((c) => c.section)),
  );
  const opts = { signal };
  await Promise.all([
    section(cards.totals.body, async () => {
      const answer = (await api.get("/api/reports/monthly-summary", { month }, opts)).body;
      fill(fresh, freshness(answer.freshness));
      fill(cards.totals.body, totals(answer.data));
    }),
    section(cards.budgets.body, async () => {
      const answer = (await api.get("/api/reports/budget-status", { month }, opts)).body;
      const hint = answer.data.budgets.length ? h("p", { class: "hint" }, "The marks on each bar are 80% and 100%.") : null;
      fill(cards.budgets.body, budgetList(answer.data), hint, h("p", {}, h("a", { href: href("/budgets", { month }) }, "Set budgets")));
    }),
    section(cards.trend.body, async () => {
      const answer = (await api.get("/api/reports/trend", { months: 12, until: month }, opts)).body;
      trendSection(cards.trend.body, answer.data.months, onCleanup);
    }),
    section(cards.categories.body, async () => {
      fill(cards.categories.body, breakdown((await api.get("/api/reports/category-breakdown", { from, to }, opts)).body.data));
    }),
    section(cards.top.body, async () => {
      fill(cards.top.body, largest((await api.get("/api/reports/top", { from, to, limit: 5, type: "expense" }, opts)).body.data));
    }),
    section(cards.recent.body, async () => {
      fill(cards.recent.body, recent((await api.get("/api/transactions", { from, to, limit: 5 }, opts)).body.items, month));
    }),
    section(cards.alerts.body, () => keepAlerts(api, cards.alerts.body, { signal, onCleanup })),
  ]);
}
