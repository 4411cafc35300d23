// The two forms of the accounts page: open an account, and move money between two open accounts (with what
// arrives asked for only when the currencies differ). Each write carries a client-made id, so a retry after a
// lost answer never opens or moves twice, and is followed to its outcome.
import { fill, h, today } from "../dom.js";
import { busy, field, say, showError, statusLine, values } from "../forms.js";
import { accountLabel, settle, TYPES } from "./accounts-list.js";

const LAST_CURRENCY = "budget.last-currency"; // shared with the transaction form: a convenience, not a secret

export function openAccountForm({ api, signal, onOpened }) {
  const line = statusLine();
  let id = crypto.randomUUID();
  const form = h(
    "form",
    { class: "form-grid", novalidate: true, "aria-label": "Open an account" },
    field({ label: "Name", name: "name", required: true, maxlength: 100, placeholder: "Current account", autocomplete: "off" }),
    field({ label: "Type", name: "type", kind: "select", value: "checking", options: TYPES }),
    field({ label: "Currency", name: "currency", required: true, value: localStorage.getItem(LAST_CURRENCY) ?? "EUR", maxlength: 3, autocapitalize: "characters", hint: "ISO code, e.g. EUR" }),
    field({ label: "Opening balance", name: "opening_balance", required: true, value: "0.00", inputmode: "decimal", autocomplete: "off", hint: "What is owed is negative, e.g. -250.00" }),
    field({ label: "Opening date", name: "opening_date", kind: "date", required: true, value: today() }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Open account")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = values(form);
    const body = { id, name: v.name, type: v.type, currency: v.currency.toUpperCase(), opening_balance: v.opening_balance, opening_date: v.opening_date };
    try {
      const answer = await busy(form, () => api.write("POST", "/api/accounts", body, { signal }));
      id = crypto.randomUUID(); // answered: the next account is a new one
      const words = { what: `Opening ${body.name}`, saved: `${body.name} is open, in ${body.currency}.`, signal };
      const outcome = await settle(api, answer, line, words);
      if (outcome.errors?.length) showError(form, line, { detail: refusedText(outcome, words.what), errors: outcome.errors });
      if (outcome.state !== "saved") return;
      form.reset();
      await onOpened();
    } catch (error) {
      if (error.name !== "AbortError") showError(form, line, error);
    }
  });
  return { form, line };
}

/** A refusal naming fields: its words, while the fields show their own messages. */
const refusedText = (o, what) => `${what} was refused: ${o.detail}`;

export function transferForm({ api, signal, onMoved }) {
  const line = statusLine();
  let id = crypto.randomUUID();
  let open = [];
  const toAmount = field({ label: "To amount", name: "to_amount", required: true, inputmode: "decimal", autocomplete: "off", hint: "What arrives" });
  const amount = field({ label: "Amount", name: "amount", required: true, inputmode: "decimal", autocomplete: "off", placeholder: "100.00", hint: "What leaves" });
  const form = h(
    "form",
    { class: "form-grid", novalidate: true, "aria-label": "Transfer" },
    field({ label: "From", name: "from_account", kind: "select", required: true, options: [] }),
    field({ label: "To", name: "to_account", kind: "select", required: true, options: [] }),
    amount,
    toAmount,
    field({ label: "Date", name: "date", kind: "date", required: true, value: today() }),
    field({ label: "Description", name: "description", maxlength: 500 }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Transfer")),
  );
  const none = h("p", { class: "muted" }, "Open two accounts to move money between them.");
  const element = h("div", {}, none, form, line);
  const { from_account: fromSelect, to_account: toSelect } = form.elements;
  const chosen = () => [open.find((a) => a.id === fromSelect.value), open.find((a) => a.id === toSelect.value)];

  /** To amount is asked for only across currencies; each amount's hint names its account and currency. */
  function fit() {
    const [from, to] = chosen();
    const across = Boolean(from && to && from.currency !== to.currency);
    toAmount.hidden = !across;
    form.elements.to_amount.disabled = !across;
    fill(amount.querySelector(".hint"), from ? `Leaves ${from.name}, in ${from.currency}` : "What leaves");
    fill(toAmount.querySelector(".hint"), to ? `Arrives in ${to.name}, in ${to.currency}` : "What arrives");
  }
  fromSelect.addEventListener("change", fit);
  toSelect.addEventListener("change", fit);

  /** Why the transfer cannot be sent as it is, before sending: [{field, message}]. */
  function problems() {
    const [from, to] = chosen();
    const v = values(form);
    const out = [];
    if (from && to && from.id === to.id) out.push({ field: "to_account", message: "choose another account than the one the money leaves" });
    if (from && to && from.currency !== to.currency && !v.to_amount) out.push({ field: "to_amount", message: `say what arrives in ${to.name}, in ${to.currency}` });
    return out;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errors = problems();
    if (errors.length) return showError(form, line, { detail: `Not sent: ${errors.map((e) => e.message).join("; ")}.`, errors });
    const [from, to] = chosen();
    const v = values(form);
    const body = { id, from_account: v.from_account, to_account: v.to_account, amount: v.amount, date: v.date };
    if (from.currency !== to.currency) body.to_amount = v.to_amount;
    if (v.description) body.description = v.description;
    const arrived = body.to_amount ? `; ${body.to_amount} ${to.currency} arrived` : "";
    const words = { what: "The transfer", saved: `Moved ${body.amount} ${from.currency} from ${from.name} to ${to.name}${arrived}.`, signal };
    try {
      const answer = await busy(form, () => api.write("POST", "/api/transfers", body, { signal }));
      id = crypto.randomUUID();
      const outcome = await settle(api, answer, line, words);
      if (outcome.errors?.length) showError(form, line, { detail: refusedText(outcome, words.what), errors: outcome.errors });
      if (outcome.state !== "saved") return;
      for (const name of ["amount", "to_amount", "description"]) form.elements[name].value = "";
      await onMoved();
    } catch (error) {
      if (error.name !== "AbortError") showError(form, line, error);
    }
  });

  return {
    element,
    /** Offer the open accounts, keeping what was chosen while it is still open. */
    setAccounts(accounts) {
      open = accounts.filter((a) => !a.closed);
      const previous = [fromSelect.value, toSelect.value];
      for (const [select, keep, fallback] of [
        [fromSelect, previous[0], open[0]],
        [toSelect, previous[1], open.find((a) => a.id !== (open.some((o) => o.id === previous[0]) ? previous[0] : open[0]?.id))],
      ]) {
        fill(select, open.map((a) => h("option", { value: a.id }, accountLabel(a))));
        select.value = open.some((a) => a.id === keep) ? keep : fallback?.id ?? "";
      }
      none.hidden = open.length >= 2;
      form.hidden = open.length < 2;
      fit();
    },
  };
}
