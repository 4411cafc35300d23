// The add / edit form for one transaction, with labelled fields and the API's field errors beside them.
import { h, today } from "../dom.js";
import { clearErrors, field, values } from "../forms.js";

const LAST_CURRENCY = "budget.last-currency"; // a convenience, not a secret: localStorage is fine

export function transactionForm({ onSubmit, onCancel }) {
  const submit = h("button", { type: "submit" }, "Add transaction");
  const cancel = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => onCancel() }, "Cancel editing");
  const heading = h("h2", {}, "Add a transaction");
  const form = h(
    "form",
    { class: "form-grid", novalidate: true, "aria-label": "Transaction" },
    field({ label: "Type", name: "type", kind: "select", value: "expense", options: [["expense", "Expense"], ["income", "Income"]] }),
    field({ label: "Amount", name: "amount", required: true, inputmode: "decimal", autocomplete: "off", placeholder: "12.50" }),
    field({ label: "Currency", name: "currency", required: true, value: localStorage.getItem(LAST_CURRENCY) ?? "EUR", maxlength: 3, autocapitalize: "characters", hint: "ISO code, e.g. EUR" }),
    field({ label: "Category", name: "category", required: true, maxlength: 64, placeholder: "groceries" }),
    field({ label: "Date", name: "date", kind: "date", required: true, value: today() }),
    field({ label: "Description", name: "description", maxlength: 500 }),
    field({ label: "Tags", name: "tags", hint: "Optional, separated by commas" }),
    h("div", { class: "actions" }, submit, cancel),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(read());
  });

  /** The form as the API's fields (description and tags only when given). */
  function read() {
    const v = values(form);
    const body = { type: v.type, amount: v.amount, currency: v.currency.toUpperCase(), category: v.category, date: v.date };
    if (v.description) body.description = v.description;
    const tags = v.tags.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    return body;
  }

  function set(t) {
    for (const name of ["type", "amount", "currency", "category", "date", "description"]) form.elements[name].value = t?.[name] ?? "";
    form.elements.tags.value = (t?.tags ?? []).join(", ");
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
  };
}

/** The fields of `next` that differ from `t`: PATCH takes any subset (an amount alone keeps the stored currency). */
export function changes(t, next) {
  const out = {};
  for (const name of ["type", "amount", "currency", "category", "date"]) if (next[name] !== t[name]) out[name] = next[name];
  if ((next.description ?? null) !== (t.description ?? null)) out.description = next.description ?? null;
  if (JSON.stringify(next.tags ?? []) !== JSON.stringify(t.tags ?? [])) out.tags = next.tags ?? [];
  return out;
}
