// Income versus expense per month for one currency: a bar chart, and the same figures as a table.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { h, money, table, uid } from "../dom.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** The currencies in a trend answer, the one with the most transactions first. */
export function trendCurrencies(months) {
  const count = {};
  for (const m of months) for (const [c, f] of Object.entries(m.currencies)) count[c] = (count[c] ?? 0) + f.transactions;
  return Object.keys(count).sort((a, b) => count[b] - count[a] || a.localeCompare(b));
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * Draw months [{month, currencies: {EUR: {income, expense, net}}}] for `currency` into a new element.
 * Returns {element, destroy}.
 */
export function trendChart(months, currency) {
  const labels = months.map((m) => m.month);
  const figure = (m, key) => m.currencies[currency]?.[key] ?? null; // null: nothing that month
  const cell = (m, key) => (figure(m, key) === null ? "—" : money(figure(m, key), currency));
  const income = months.map((m) => figure(m, "income") ?? "0");
  const expense = months.map((m) => figure(m, "expense") ?? "0");
  const canvas = h("canvas", {
    role: "img",
    "aria-label": `Income and expense in ${currency} per month, ${labels[0]} to ${labels.at(-1)}. The table below has the figures.`,
  });
  const chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [
        // Number() only places the bars; every figure a person reads is the API's exact string.
        { label: "Income", data: income.map(Number), exact: income, backgroundColor: css("--income") },
        { label: "Expense", data: expense.map(Number), exact: expense, backgroundColor: css("--expense") },
      ],
    },
    // Tests and people alike can tell a drawn chart from a pending one.
    plugins: [{ id: "drawn", afterRender: (c) => (c.canvas.dataset.state = "drawn") }],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: currency } } },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${ctx.dataset.exact[ctx.dataIndex]} ${currency}` } },
      },
    },
  });
  const tableId = uid("trend-table");
  const element = h(
    "div",
    { class: "trend" },
    h("div", { class: "chart-box" }, canvas),
    h(
      "details",
      { id: tableId },
      h("summary", {}, "The figures as a table"),
      table(
        `Income and expense in ${currency} per month`,
        ["Month", "Income", "Expense", "Net"],
        months.map((m) => [m.month, cell(m, "income"), cell(m, "expense"), cell(m, "net")]),
        { numeric: [1, 2, 3] },
      ),
    ),
  );
  return { element, destroy: () => chart.destroy() };
}
