// Totals converted to one currency (the home currency, or convert_to): the API's figures, the ECB rate dates
// they used, and every rate that was missing, said in words. A total needing a missing rate is null: never 1:1.
import { h, money } from "../dom.js";

/** "ECB rates of 2026-11-30" / "of 2026-11-02 to 2026-11-30"; nothing when no rate was needed. */
export function rateDates(converted) {
  const { first, last } = converted.rate_dates ?? {};
  if (!first && !last) return null;
  return first === last || !first || !last ? `ECB rates of ${first ?? last}` : `ECB rates of ${first} to ${last}`;
}

/** One line per missing rate, as the API words it. */
export function missingRates(converted) {
  const missing = converted.missing_rates ?? [];
  if (!missing.length) return null;
  return h(
    "ul",
    { class: "missing-rates" },
    missing.map((m) => h("li", {}, `Missing rate: ${m.detail ?? `no ${m.currency} rate on or before ${m.date}`}, so this total cannot be converted.`)),
  );
}

/** An amount of a converted total, or words saying it could not be converted (the missing rate is named nearby). */
export function convertedAmount(value, currency) {
  return value === null || value === undefined ? h("span", { class: "muted" }, "not converted") : money(value, currency);
}

/**
 * The overview's converted block: {currency, income, expense, net, rate_dates, missing_rates} as a total
 * like the per-currency ones, with where its rates came from. Nothing when the answer has no conversion.
 */
export function convertedTotal(converted, fields = [["income", "Income"], ["expense", "Expense"], ["net", "Net"]]) {
  if (!converted) return null;
  const { currency } = converted;
  const dates = rateDates(converted);
  return h(
    "div",
    { class: "total converted" },
    h("h3", {}, `All in ${currency}`),
    h(
      "dl",
      { "aria-label": `Totals converted to ${currency}` },
      fields.map(([key, label]) => h("div", {}, h("dt", {}, label), h("dd", {}, convertedAmount(converted[key], currency)))),
    ),
    h("p", { class: "hint" }, dates ? `Converted at the ${dates} (the latest rate on or before each day).` : `Everything is in ${currency} already: no rate needed.`),
    missingRates(converted),
  );
}
