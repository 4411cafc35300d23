// Budgets: set a month's limit per category and currency, over every expense or a set of accounts; see the
// month's budget status.
import { budgetList } from "../components/budget-bars.js";
import { freshness } from "../components/freshness.js";
import { monthPicker } from "../components/month-picker.js";
import { append, card, currentMonth, failure, fill, h, isMonth, money, sameAmount, table } from "../dom.js";
import { busy, field, say, showError, statusLine, values } from "../forms.js";
import { follow, Keys, outcomeText, tone, until } from "../operations.js";
import { navigate } from "../router.js";
import { accountLabel } from "./accounts-list.js";

function unbudgeted(items) {
  if (!items.length) return null;
  return h(
    "div",
    {},
    h("h3", {}, "Spending without a budget"),
    table("Spending without a budget", ["Category", "Spent"], items.map((u) => [u.category, money(u.spent, u.currency)]), { numeric: [1] }),
  );
}

/** The form's "Accounts" multi-select: every account selected (the default) is a global budget. */
function accountsField() {
  const box = field({ label: "Accounts", name: "accounts", kind: "select", options: [], multiple: true, size: 3, hint: "All selected: every expense counts. Select some to count only the expenses booked in them." });
  const select = box.querySelector("select");
  return {
    box,
    show(accounts) {
      fill(select, accounts.map((a) => h("option", { value: a.id, selected: true }, a.closed ? `${accountLabel(a)}, closed` : accountLabel(a))));
      box.hidden = accounts.length === 0;
    },
    /** The ids to send: null while every account is selected (a global budget). */
    chosen() {
      const picked = [...select.selectedOptions].map((o) => o.value);
      return picked.length === select.options.length ? null : picked;
    },
  };
}

/** Whether two account sets are the same (null: every account). */
function sameSet(a, b) {
  if (a == null || b == null) return a == null && b == null;
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

export async function render(main, { app, params, signal }) {
  const { api } = app;
  const accounts = accountsField();
  let names = new Map();
  const month = isMonth(params.get("month")) ? params.get("month") : currentMonth();
  const line = statusLine();
  const keys = new Keys(); // a PUT sent again after a lost answer is recognised, not applied twice
  const status = card(`Budget status for ${month}`, { wide: true });
  const form = h(
    "form",
    { class: "form-grid", novalidate: true, "aria-label": "Set a budget" },
    field({ label: "Category", name: "category", required: true, maxlength: 64, placeholder: "groceries" }),
    field({ label: "Month", name: "month", kind: "month", required: true, value: month }),
    field({ label: "Amount", name: "amount", required: true, inputmode: "decimal", autocomplete: "off", placeholder: "300.00" }),
    field({ label: "Currency", name: "currency", required: true, value: localStorage.getItem("budget.last-currency") ?? "EUR", maxlength: 3, hint: "ISO code, e.g. EUR" }),
    accounts.box,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Set budget")),
  );

  async function loadStatus() {
    try {
      const answer = (await api.get("/api/reports/budget-status", { month }, { signal })).body;
      fill(status.body, freshness(answer.freshness), budgetList(answer.data, names), unbudgeted(answer.data.unbudgeted));
      return answer.data;
    } catch (error) {
      if (error.name !== "AbortError") fill(status.body, failure(error));
      return null;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = values(form);
    const currency = v.currency.toUpperCase();
    const chosen = accounts.chosen();
    const path = `/api/budgets/${encodeURIComponent(v.category)}/${encodeURIComponent(v.month)}`;
    const what = `The ${v.category} budget for ${v.month}`;
    try {
      const answer = await busy(form, () => keys.write(api, "PUT", path, { amount: v.amount, currency, accounts: chosen }, { signal }));
      const outcome = await follow(api, answer, (o) => say(line, outcomeText(o, what), tone(o)), { signal });
      if (outcome.state !== "saved" || v.month !== month) return;
      // Budget status answers from the analytics store, which syncs every minute: watch for it.
      say(line, `${what} is saved; its status shows here after the next sync of the figures.`, "ok");
      const shown = await until(loadStatus, (d) => d?.budgets.some((b) => b.category === v.category && b.currency === currency && sameAmount(b.budget, v.amount) && sameSet(b.accounts, chosen)), {
        signal,
        pauses: [1000, 2000, 3000, 5000, 8000, 10000, 15000, 20000],
      });
      if (shown) say(line, `${what} is saved and shown below.`, "ok");
    } catch (error) {
      if (error.name !== "AbortError") showError(form, line, error);
    }
  });

  append(main, 
    h("div", { class: "page-head" }, h("h1", {}, "Budgets"), monthPicker(month, (m) => navigate("/budgets", { month: m }))),
    h("section", { class: "card", "aria-label": "Set a monthly budget" }, h("h2", {}, "Set a monthly budget"), h("p", { class: "hint" }, "A limit per category and currency; alerts fire at 80% and 100%."), form, line),
    status.section,
  );
  try {
    const mine = (await api.get("/api/accounts", undefined, { signal })).body.items;
    names = new Map(mine.map((a) => [a.id, a.name]));
    accounts.show(mine);
  } catch (error) {
    if (error.name === "AbortError") return;
    accounts.show([]); // without the accounts a budget can still be set for every expense
  }
  await loadStatus();
}
