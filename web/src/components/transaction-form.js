// The add / edit form for one transaction, with labelled fields and the API's field errors beside them.
// Account offers the open accounts (picking one sets its currency); splits must add up before anything is sent.
import { fill, h, today } from "../dom.js";
import { clearErrors, field, showError, values } from "../forms.js";
import { splitRows } from "./split-rows.js";

const LAST_CURRENCY = "budget.last-currency"; // a convenience, not a secret: localStorage is fine

export function transactionForm({ onSubmit, onCancel, line }) {
  const submit = h("button", { type: "submit" }, "Add transaction");
  const cancel = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => onCancel() }, "Cancel editing");
  const heading = h("h2", {}, "Add a transaction");
  const splits = splitRows({ amountOf: () => form.elements.amount.value.trim() });
  let accounts = []; // every account of the person's, so a transaction in a closed one still names it
  const form = h(
    "form",
    { class: "form-grid", novalidate: true, "aria-label": "Transaction" },
    field({ label: "Type", name: "type", kind: "select", value: "expense", options: [["expense", "Expense"], ["income", "Income"]] }),
    field({ label: "Amount", name: "amount", required: true, inputmode: "decimal", autocomplete: "off", placeholder: "12.50" }),
    field({ label: "Currency", name: "currency", required: true, value: localStorage.getItem(LAST_CURRENCY) ?? "EUR", maxlength: 3, autocapitalize: "characters", hint: "ISO code, e.g. EUR" }),
    field({ label: "Category", name: "category", required: true, maxlength: 64, placeholder: "groceries" }),
    field({ label: "Date", name: "date", kind: "date", required: true, value: today() }),
    field({ label: "Account", name: "account_id", kind: "select", options: [["", "No account"]], hint: "Optional: an open account, in its currency" }),
    field({ label: "Payee", name: "payee", maxlength: 200, autocomplete: "off" }),
    field({ label: "Description", name: "description", maxlength: 500 }),
    field({ label: "Tags", name: "tags", hint: "Optional, separated by commas" }),
    splits.fieldset,
    h("div", { class: "actions" }, submit, cancel),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = splits.problem();
    if (problem) return showError(form, line, { detail: `Not sent: ${problem}.`, errors: [{ field: "splits", message: problem }] });
    onSubmit(read());
  });
  form.elements.amount.addEventListener("input", () => splits.showTotal());
  // An account holds one currency: picking it sets the transaction's.
  form.elements.account_id.addEventListener("change", () => {
    const account = accounts.find((a) => a.id === form.elements.account_id.value);
    if (account) form.elements.currency.value = account.currency;
  });

  /** The select's options: no account, the open accounts, and `keep` (the edited row's own) even when closed. */
  function offer(keep) {
    const select = form.elements.account_id;
    const chosen = keep ?? select.value;
    const shown = accounts.filter((a) => !a.closed || a.id === chosen);
    const label = (a) => `${a.name} (${a.currency}${a.closed ? ", closed" : ""})`;
    fill(select, h("option", { value: "" }, "No account"), shown.map((a) => h("option", { value: a.id }, label(a))));
    select.value = shown.some((a) => a.id === chosen) ? chosen : "";
  }

  /** The form as the API's fields (description and tags only when given). */
  function read() {
    const v = values(form);
    const body = { type: v.type, amount: v.amount, currency: v.currency.toUpperCase(), category: v.category, date: v.date };
    if (v.description) body.description = v.description;
    if (v.account_id) body.account_id = v.account_id;
    if (v.payee) body.payee = v.payee;
    const parts = splits.read();
    if (parts.length) body.splits = parts;
    const tags = v.tags.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    return body;
  }

  function set(t) {
    for (const name of ["type", "amount", "currency", "category", "date", "description", "payee"]) form.elements[name].value = t?.[name] ?? "";
    form.elements.tags.value = (t?.tags ?? []).join(", ");
    offer(t?.account_id ?? "");
    splits.set(t?.splits);
  }

  return {
    heading,
    form,
    /** Switch to editing `t`, or back to adding when t is null. */
    edit(t) {
      clearErrors(form);
      heading.textContent = t ? `Edit the transaction of ${t.date}` : "Add a transaction";
      submit.textContent = t ? "Save changes" : "Add transaction";
      cancel.hidden = !t;
      if (t) set(t);
      else {
        set({ type: "expense", currency: localStorage.getItem(LAST_CURRENCY) ?? "EUR", date: today() });
      }
      form.elements.type.focus();
    },
    remember(currency) {
      localStorage.setItem(LAST_CURRENCY, currency);
    },
    /** The person's accounts (GET /api/accounts items): the open ones are offered. */
    setAccounts(items) {
      accounts = items;
      offer();
    },
  };
}

/** The fields of `next` that differ from `t`: PATCH takes any subset (an amount alone keeps the stored currency). */
export function changes(t, next) {
  const out = {};
  for (const name of ["type", "amount", "currency", "category", "date"]) if (next[name] !== t[name]) out[name] = next[name];
  for (const name of ["description", "account_id", "payee"]) if ((next[name] ?? null) !== (t[name] ?? null)) out[name] = next[name] ?? null;
  // Splits are checked against the amount: a new amount is sent with the parts it must equal.
  const parts = (list) => JSON.stringify((list ?? []).map((s) => [s.category, s.amount]));
  if (parts(next.splits) !== parts(t.splits) || ("amount" in out && next.splits?.length)) out.splits = next.splits ?? [];
  if (JSON.stringify(next.tags ?? []) !== JSON.stringify(t.tags ?? [])) out.tags = next.tags ?? [];
  return out;
}
