// A transaction's splits: rows of Category + Amount that must add up exactly to the transaction's amount.
// Each input is named like the API's field ("splits.0.amount"), so the server's field errors land beside it.
import { fill, h } from "../dom.js";
import { field } from "../forms.js";
import { equal, isDecimal, subtract, sum } from "./decimal.js";

export function splitRows({ amountOf }) {
  // The id is the API's field name, so the form finds the fieldset for a "splits" error (form.elements looks
  // up ids too); a name would make it a value the form's reader expects. One transaction form per page.
  const id = "splits";
  const introId = `${id}-hint`;
  const list = h("ol", { class: "split-rows" });
  const total = h("p", { class: "hint split-total" });
  const add = h("button", { type: "button", class: "secondary", onclick: () => addRow() }, "Add a split");
  const fieldset = h(
    "fieldset",
    { class: "field splits", id, "aria-describedby": introId },
    h("legend", {}, "Splits"),
    h("p", { class: "hint", id: introId }, "Optional: share the amount between categories. The parts must add up to the amount exactly."),
    list,
    total,
    h("div", { class: "actions" }, add),
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
  let rows = []; // [{category, amount}] as typed, so removing a row keeps the others' values

  const inputs = (i) => ({
    category: fieldset.querySelector(`[name="splits.${i}.category"]`),
    amount: fieldset.querySelector(`[name="splits.${i}.amount"]`),
  });

  function remember() {
    rows = rows.map((_, i) => ({ category: inputs(i).category.value, amount: inputs(i).amount.value }));
  }

  function draw() {
    fill(
      list,
      rows.map((row, i) => {
        const n = i + 1;
        const label = (text) => [h("span", { class: "visually-hidden" }, `Split ${n} `), text];
        return h(
          "li",
          { class: "split-row" },
          field({ label: label("Category"), name: `splits.${i}.category`, value: row.category, required: true, maxlength: 64 }),
          field({ label: label("Amount"), name: `splits.${i}.amount`, value: row.amount, required: true, inputmode: "decimal", autocomplete: "off" }),
          h("button", { type: "button", class: "danger", "aria-label": `Remove split ${n}`, onclick: () => removeRow(i) }, "Remove"),
        );
      }),
    );
    showTotal();
  }

  function addRow() {
    remember();
    rows.push({ category: "", amount: "" });
    draw();
    inputs(rows.length - 1).category.focus();
  }

  function removeRow(i) {
    remember();
    rows.splice(i, 1);
    draw();
    (rows.length ? inputs(Math.min(i, rows.length - 1)).category : add).focus();
  }

  /** The rows a person filled in (a row left wholly empty is ignored). */
  function parts() {
    remember();
    return rows.map((r) => ({ category: r.category.trim(), amount: r.amount.trim() })).filter((r) => r.category || r.amount);
  }

  /** "Splits add up to 30.00 of 42.50 (12.50 left)", kept current while typing. */
  function showTotal() {
    const filled = parts();
    const amount = amountOf();
    if (!filled.length || !filled.every((p) => isDecimal(p.amount))) return fill(total);
    const added = sum(filled.map((p) => p.amount));
    if (!isDecimal(amount)) return fill(total, `Splits add up to ${added}.`);
    const left = subtract(amount, added);
    fill(total, `Splits add up to ${added} of ${amount}`, equal(left, "0") ? "." : ` (${left.startsWith("-") ? `${left.slice(1)} too much` : `${left} left`}).`);
  }
  fieldset.addEventListener("input", showTotal);

  return {
    fieldset,
    showTotal,
    /** The API's splits, or [] when there are none. */
    read: () => parts(),
    /** Show these splits (a transaction being edited), or none. */
    set(splits) {
      rows = (splits ?? []).map((s) => ({ category: s.category, amount: s.amount }));
      draw();
    },
    /** Why the parts cannot be sent as they are, said before sending; null when they add up. */
    problem() {
      const filled = parts();
      if (!filled.length) return null;
      const n = filled.findIndex((p) => !p.category || !isDecimal(p.amount));
      if (n >= 0) return `split ${n + 1} needs a category and an amount such as 12.50`;
      const amount = amountOf();
      if (!isDecimal(amount)) return null; // the amount's own error says why
      const added = sum(filled.map((p) => p.amount));
      return equal(added, amount) ? null : `the splits add up to ${added}; they must add up exactly to the amount, ${amount}`;
    },
  };
}

/**
 * Field errors named the way the form's inputs are. The API names a split's field "splits.1.amount", or (while
 * its single-transaction route reports an item of a list like a batch item) {index, errors: [{field}]}.
 */
export function splitErrors(error) {
  const listed = error.errors ?? [];
  if (!listed.some((e) => Array.isArray(e.errors))) return error;
  const inner = listed.flatMap((e) => (Array.isArray(e.errors) ? e.errors.map((i) => ({ ...i, index: e.index })) : [e]));
  const errors = inner.map((e) => (e.index !== undefined && SPLIT_FIELDS.has(e.field) ? { field: `splits.${e.index}.${e.field}`, message: e.message } : e));
  return { detail: `Part of it is invalid, so nothing was recorded: ${inner.map((e) => e.message).join("; ")}`, errors };
}

const SPLIT_FIELDS = new Set(["category", "amount", "description"]);
