// Net worth over the last twelve month ends: per currency, assets, liabilities and net (a chart and its table);
// with a home currency, the same converted to it, each month naming the ECB rate dates used or the rate missing.
import "./accounts.css";
import { cardTable } from "../components/card-table.js";
import { convertedAmount } from "../components/converted.js";
import { freshness } from "../components/freshness.js";
import { networthChart, networthCurrencies } from "../components/networth-chart.js";
import { append, card, empty, failure, fill, h, uid } from "../dom.js";
import { href } from "../router.js";

const MONTHS = 12;

/** The months from the first month end an account existed at: earlier ones hold nothing to convert. */
function held(months) {
  const first = months.findIndex((m) => Object.keys(m.currencies).length);
  return first < 0 ? [] : months.slice(first);
}

function chartSection(body, all, onCleanup) {
  const months = held(all);
  const currencies = networthCurrencies(months);
  if (!currencies.length) {
    return fill(body, empty("No accounts in these twelve months yet."), h("p", {}, h("a", { href: href("/accounts") }, "Open an account")));
  }
  let drawn = null;
  const holder = h("div");
  const draw = (currency) => {
    drawn?.destroy();
    drawn = networthChart(months, currency);
    fill(holder, drawn.element);
  };
  onCleanup(() => drawn?.destroy());
  const id = uid("networth-currency");
  const select = h("select", { id, onchange: (e) => draw(e.target.value) }, currencies.map((c) => h("option", { value: c }, c)));
  const span = h("p", { class: "hint" }, `The last ${MONTHS} month ends, from the first at which you held an account. What is owed counts as a liability, below zero.`);
  fill(body, span, currencies.length > 1 ? h("div", { class: "field inline" }, h("label", { for: id }, "Currency"), select) : null, holder);
  draw(currencies[0]);
}

/** The ECB rate dates a month's conversion used ("2026-11-30", or a range), or the currencies it lacked. */
function rates(converted) {
  const missing = converted.missing_rates ?? [];
  if (missing.length) return h("span", { class: "error" }, `missing: ${[...new Set(missing.map((m) => m.currency))].join(", ")}`);
  const { first, last } = converted.rate_dates ?? {};
  if (!first && !last) return h("span", { class: "muted" }, "none needed");
  return first === last || !first || !last ? first ?? last : `${first} to ${last}`;
}

function convertedSection(body, months, home) {
  if (!home) {
    return fill(
      body,
      h("p", {}, "Set a home currency to see every month end as one total, converted at the European Central Bank's rates."),
      h("p", {}, h("a", { href: href("/settings") }, "Set your home currency")),
    );
  }
  const rows = held(months).filter((m) => m.converted);
  if (!rows.length) return fill(body, empty("No accounts to convert yet."));
  const missing = rows.flatMap((m) => (m.converted.missing_rates ?? []).map((r) => `${m.month}: ${r.detail}, so that month end is not converted.`));
  fill(
    body,
    h("p", { class: "hint" }, "Each month end's balances at the latest ECB rate on or before that day. A total that needs a missing rate is not shown: it is never guessed."),
    cardTable(
      `Net worth converted to ${home} at each month end`,
      ["Month", "Assets", "Liabilities", "Net", "ECB rates of"],
      rows.map((m) => [m.month, convertedAmount(m.converted.assets, home), convertedAmount(m.converted.liabilities, home), convertedAmount(m.converted.net, home), rates(m.converted)]),
      { numeric: [1, 2, 3] },
    ),
    missing.length
      ? h("div", { class: "notice" }, h("h3", {}, "Missing rates"), h("ul", { class: "missing-rates" }, missing.map((text) => h("li", {}, text))), h("p", { class: "hint" }, "An administrator can load the ECB's rates for those days."))
      : null,
  );
}

export async function render(main, { app, signal, onCleanup }) {
  const { api } = app;
  const fresh = h("div", { class: "fresh-slot" });
  const chart = card("Assets, liabilities and net at each month end", { wide: true, id: "networth" });
  const converted = card("In your home currency", { wide: true, id: "networth-converted" });
  append(main, h("h1", {}, "Net worth"), fresh, h("div", { class: "grid" }, chart.section, converted.section));
  try {
    // The home currency from storage (current the moment it is saved), named outright rather than left to the
    // report's default, which follows it only after the next sync of the figures.
    const home = (await api.get("/api/settings", undefined, { signal })).body.home_currency;
    const answer = (await api.get("/api/reports/net-worth", { months: MONTHS, convert_to: home }, { signal })).body;
    fill(fresh, freshness(answer.freshness));
    chartSection(chart.body, answer.data.months, onCleanup);
    if (home) converted.section.querySelector("h2").textContent = `In ${home}, your home currency`;
    convertedSection(converted.body, answer.data.months, home);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    fill(chart.body, failure(error));
    fill(converted.body);
  }
}
