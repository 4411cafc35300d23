// How one transaction reads in a list: date, what, category, and the amount signed by its type.
import { h, money } from "../dom.js";

/** "-12.50 EUR" for an expense, "+2500.00 EUR" for income: the API's string with a sign put in front. */
export function signedAmount(t) {
  return money(`${t.type === "expense" ? "-" : "+"}${t.amount}`, t.currency);
}

export function describe(t) {
  return h("span", {}, t.description || h("span", { class: "muted" }, "(no description)"), t.tags?.length ? h("span", { class: "tags" }, t.tags.map((tag) => h("span", { class: "tag" }, tag))) : null);
}
