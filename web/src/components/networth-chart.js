// Net worth per month end for one currency: assets, liabilities (negative: what is owed) and net as bars, and
// the same figures as a table. Every figure a person reads is the API's string; Number() only places the bars.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { h, money } from "../dom.js";
import { cardTable } from "./card-table.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** The currencies held in any of the months, the one held longest first. */
export function networthCurrencies(months) {
  const count = {};
  for (const m of months) for (const c of Object.keys(m.currencies)) count[c] = (count[c] ?? 0) + 1;
  return Object.keys(count).sort((a, b) => count[b] - count[a] || a.localeCompare(b));
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const SERIES = [
  ["assets", "Assets", "--income"],
  ["liabilities", "Liabilities", "--expense"],
  ["net", "Net", "--brand"],
];

/** Draw months [{month, currencies: {EUR: {assets, liabilities, net}}}] for `currency`: {element, destroy}. */
export function networthChart(months, currency) {
  const labels = months.map((m) => m.month);
  const figure = (m, key) => m.currencies[currency]?.[key] ?? null; // null: no account in it at that month end
  const cell = (m, key) => (figure(m, key) === null ? "—" : money(figure(m, key), currency));
  const canvas = h("canvas", {
    role: "img",
    "aria-label": `Assets, liabilities and net worth in ${currency} at each month end, ${labels[0]} to ${labels.at(-1)}. The table below has the figures.`,
  });
  const datasets = SERIES.map(([key, label, colour]) => {
    const exact = months.map((m) => figure(m, key) ?? "0");
    return { label, data: exact.map(Number), exact, backgroundColor: css(colour) };
  });
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    plugins: [{ id: "drawn", afterRender: (c) => (c.canvas.dataset.state = "drawn") }],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { title: { display: true, text: currency } } },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${ctx.dataset.exact[ctx.dataIndex]} ${currency}` } },
      },
    },
  });
  const element = h(
    "div",
    { class: "trend" },
    h("div", { class: "chart-box" }, canvas),
    cardTable(
      `Net worth in ${currency} at each month end`,
      ["Month", "Assets", "Liabilities", "Net"],
      months.map((m) => [m.month, cell(m, "assets"), cell(m, "liabilities"), cell(m, "net")]),
      { numeric: [1, 2, 3] },
    ),
  );
  return { element, destroy: () => chart.destroy() };
}
