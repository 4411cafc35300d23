// Budgets as progress bars, marked at 80% and 100% (the thresholds the alerts fire at).
import { h, money, percent } from "../dom.js";

const SCALE = 1.25; // the track shows up to 125% so an overspend stays visible past the 100% mark

function state(share) {
  if (share > 1) return ["over", "Over budget"];
  if (share >= 1) return ["full", "Budget used up"];
  if (share >= 0.8) return ["warn", "80% used"];
  return ["ok", null];
}

/** Whose expenses a budget counts: its accounts by name (an id not among `names` as it is), or every one. */
export function accountsText(accounts, names = new Map()) {
  if (!accounts) return "All accounts";
  return accounts.map((id) => names.get(id) ?? id).join(", ");
}

/** One budget: {category, currency, accounts, budget, spent, remaining, share_used, over_budget}. */
export function budgetBar(b, names) {
  const share = Number(b.share_used); // geometry only; the figures shown are the API's strings
  const [tone, label] = state(share);
  const fillEl = h("span", { class: `bar-fill ${tone}` });
  fillEl.style.width = `${(Math.min(share, SCALE) / SCALE) * 100}%`;
  const text = `${b.spent} ${b.currency} of ${b.budget} ${b.currency} spent (${percent(b.share_used)})`;
  return h(
    "li",
    { class: "budget" },
    h(
      "div",
      { class: "budget-line" },
      h("span", { class: "budget-category" }, b.category),
      h("span", {}, money(b.spent, b.currency), " of ", money(b.budget, b.currency), ` · ${percent(b.share_used)}`),
    ),
    h(
      "div",
      {
        class: "bar",
        role: "progressbar",
        "aria-label": `${b.category} budget`,
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": String(Math.round(Math.min(share, SCALE) * 100)),
        "aria-valuetext": text,
      },
      fillEl,
      h("span", { class: "mark m80", title: "80%" }),
      h("span", { class: "mark m100", title: "100%" }),
    ),
    h(
      "div",
      { class: "budget-line small" },
      h("span", { class: `badge ${tone}` }, label ?? "Within budget"),
      h("span", { class: "budget-accounts" }, `Accounts: ${accountsText(b.accounts, names)}`),
      h("span", {}, b.over_budget ? "Over by " : "Left: ", money(b.over_budget ? b.remaining.replace(/^-/, "") : b.remaining, b.currency)),
    ),
  );
}

/** The budget-status answer's data as a list (or a line saying there are none); `names`: account id -> name. */
export function budgetList(data, names) {
  if (!data.budgets.length) return h("p", { class: "muted" }, `No budgets set for ${data.month}.`);
  return h("ul", { class: "budgets" }, data.budgets.map((b) => budgetBar(b, names)));
}
