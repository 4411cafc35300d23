// Transactions: filters and text search, newest first with "load more", and add / edit / delete. Each
// write is followed to its outcome; an edit or deletion names the version it was made on (If-Match), so one
// made over a change from elsewhere is refused as a conflict, and the page offers to reload the row.
import { freshness } from "../components/freshness.js";
import { splitErrors } from "../components/split-rows.js";
import { changes, transactionForm } from "../components/transaction-form.js";
import { describe, signedAmount } from "../components/transaction-row.js";
import { append, empty, failure, fill, h } from "../dom.js";
import { busy, field, say, showError, statusLine, values } from "../forms.js";
import { follow, Keys, outcomeText, tone } from "../operations.js";
import { navigate } from "../router.js";

const PAGE = 25;
const changedElsewhere = (t) => `the ${t.category} transaction of ${t.date} (${t.amount} ${t.currency}) was changed elsewhere after you loaded it, so nothing was changed.`;

/** The version a row was read at, as If-Match sends it: storage's etag, or the version search results carry. */
const etagOf = (t) => t.etag ?? (t.version === undefined || t.version === null ? undefined : `"${t.version}"`);
const pathOf = (t) => `/api/transactions/${encodeURIComponent(t.id)}`;
const FILTERS = ["from", "to", "category", "type", "q"];

// On a phone each row becomes a small card (styles.css); the explicit roles keep it a table for screen
// readers, which drop a table's semantics once CSS changes its display.
function transactionsTable(rows) {
  rows.setAttribute("role", "rowgroup");
  const headers = ["Date", "Description", "Category", "Amount", "Actions"];
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Transactions" },
    h(
      "table",
      { class: "transactions", role: "table" },
      h("caption", { class: "visually-hidden" }, "Transactions, newest first"),
      h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, headers.map((c, i) => h("th", { scope: "col", role: "columnheader", class: i === 3 ? "num" : null }, c)))),
      rows,
    ),
  );
}

function filtersForm(current) {
  const form = h(
    "form",
    { class: "form-grid filters", role: "search", "aria-label": "Filter transactions" },
    field({ label: "From", name: "from", kind: "date", value: current.from ?? "" }),
    field({ label: "To", name: "to", kind: "date", value: current.to ?? "" }),
    field({ label: "Category", name: "category", value: current.category ?? "" }),
    field({ label: "Type", name: "type", kind: "select", value: current.type ?? "", options: [["", "Any"], ["expense", "Expense"], ["income", "Income"]] }),
    field({ label: "Search text", name: "q", value: current.q ?? "", hint: "Words in the description" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Apply filters"), h("button", { type: "button", class: "secondary", onclick: () => navigate("/transactions") }, "Clear")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate("/transactions", values(form));
  });
  return form;
}

export async function render(main, { app, params, signal }) {
  const { api } = app;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ""]).filter(([, v]) => v));
  const line = statusLine();
  const rows = h("tbody");
  const listStatus = h("div");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const fresh = h("div");
  let cursor = null;
  let shown = [];
  let editing = null;
  let key = crypto.randomUUID(); // the create's id: a retry after an error sends the same one, never a double
  const keys = new Keys(); // the same for corrections and deletions: their Idempotency-Key
  const offer = h("div", { class: "offer" }); // what to do about a refusal: reload a row changed elsewhere

  // Text search answers from the analytics store (synced every minute); the plain list from storage.
  const search = Boolean(filters.q);
  async function page(after) {
    if (search) {
      const { body } = await api.get("/api/reports/search", { ...filters, cursor: after, limit: PAGE }, { signal });
      fill(fresh, freshness(body.freshness));
      return { items: body.data.items, next: body.data.next_cursor };
    }
    const { body } = await api.get("/api/transactions", { ...filters, cursor: after, limit: PAGE }, { signal });
    return { items: body.items, next: body.next_cursor };
  }

  function row(t) {
    const actions = h("td", { role: "cell", class: "row-actions" });
    const normal = () =>
      fill(
        actions,
        h("button", { type: "button", class: "secondary", "aria-label": `Edit ${t.category} ${t.amount} ${t.currency} of ${t.date}`, onclick: () => startEdit(t) }, "Edit"),
        h("button", { type: "button", class: "danger", "aria-label": `Delete ${t.category} ${t.amount} ${t.currency} of ${t.date}`, onclick: confirmDelete }, "Delete"),
      );
    function confirmDelete() {
      const yes = h("button", { type: "button", class: "danger", onclick: () => remove(t) }, "Yes, delete");
      fill(actions, h("span", {}, "Delete it? "), yes, h("button", { type: "button", class: "secondary", onclick: normal }, "Keep"));
      yes.focus();
    }
    normal();
    return h(
      "tr",
      { "data-id": t.id, role: "row" },
      h("td", { role: "cell", class: "t-date" }, t.date),
      h("td", { role: "cell", class: "t-desc" }, describe(t)),
      h("td", { role: "cell", class: "t-cat" }, t.category),
      h("td", { role: "cell", class: "num t-amount" }, signedAmount(t)),
      actions,
    );
  }

  function show(items, append) {
    shown = append ? [...shown, ...items] : items;
    if (!append) fill(rows);
    rows.append(...items.map(row));
    fill(listStatus, shown.length ? null : empty(Object.keys(filters).length ? "Nothing matches these filters." : "No transactions yet: add one above."));
  }

  async function load(append = false) {
    try {
      const result = await page(append ? cursor : undefined);
      cursor = result.next;
      more.hidden = !cursor;
      show(result.items, append);
      return result.items;
    } catch (error) {
      if (error.name !== "AbortError") fill(listStatus, failure(error));
      return null;
    }
  }

  /** After a 202: follow the operation, say its outcome, then show the list as storage now has it. */
  async function settle(answer, what, { t, after } = {}) {
    const outcome = await follow(api, answer, (o) => say(line, outcomeText(o, what), tone(o)), { signal });
    if (outcome.code === "conflict" && t) {
      say(line, `${what} was refused: ${changedElsewhere(t)}`, "error");
      const reload = h("button", { type: "button", class: "secondary", onclick: () => reloadRow(t, after) }, "Reload the transaction");
      fill(offer, reload);
      reload.focus();
    } else if (outcome.state === "rejected" && outcome.errors?.length) {
      showError(editor.form, line, { detail: outcomeText(outcome, what), errors: outcome.errors });
    }
    if (outcome.state === "saved" || outcome.code === "not_found") await load();
    if (["closed", "not_found", "currency_mismatch"].includes(outcome.code)) await loadAccounts(); // offer them as they are now
    return outcome;
  }

  /** Show a row as it is now; after a refused edit, open it again in the form to make the change anew. */
  async function reloadRow(t, after) {
    fill(offer);
    try {
      const { body: fresh } = await api.get(pathOf(t), undefined, { signal });
      const old = rows.querySelector(`tr[data-id="${CSS.escape(t.id)}"]`);
      old?.replaceWith(row(fresh));
      shown = shown.map((s) => (s.id === fresh.id ? fresh : s));
      if (after === "edit") startEdit(fresh);
      say(line, `Reloaded: it now reads ${fresh.type} ${fresh.amount} ${fresh.currency}, ${fresh.category}, ${fresh.date}. Make your change again if you still want it.`);
    } catch (error) {
      if (error.name === "AbortError") return;
      if (error.status === 404) {
        await load();
        return say(line, "It was deleted elsewhere.", "error");
      }
      say(line, error.detail, "error");
    }
  }

  const editor = transactionForm({
    onSubmit: (body) => (editing ? saveEdit(editing, body) : create(body)),
    onCancel: () => startEdit(null),
    line,
  });

  /** The Account field's choices; without them the form still records transactions in no account. */
  async function loadAccounts() {
    try {
      editor.setAccounts((await api.get("/api/accounts", undefined, { signal })).body.items);
    } catch (error) {
      if (error.name !== "AbortError") say(line, `Your accounts could not be read: ${error.detail}`, "error");
    }
  }

  async function create(body) {
    fill(offer);
    try {
      const answer = await busy(editor.form, () => api.write("POST", "/api/transactions", { id: key, ...body }, { signal }));
      key = crypto.randomUUID();
      editor.remember(body.currency);
      editor.edit(null);
      await settle(answer, "The transaction");
    } catch (error) {
      if (error.name !== "AbortError") showError(editor.form, line, splitErrors(error));
    }
  }

  async function saveEdit(t, next) {
    fill(offer);
    const patch = changes(t, next);
    if (!Object.keys(patch).length) return say(line, "Nothing changed.");
    try {
      const answer = await busy(editor.form, () => keys.write(api, "PATCH", pathOf(t), patch, { ifMatch: etagOf(t), signal }));
      startEdit(null);
      await settle(answer, "The change", { t, after: "edit" });
    } catch (error) {
      if (error.name !== "AbortError") showError(editor.form, line, splitErrors(error));
    }
  }

  async function remove(t) {
    fill(offer);
    try {
      const answer = await keys.write(api, "DELETE", pathOf(t), undefined, { ifMatch: etagOf(t), signal });
      if (editing?.id === t.id) startEdit(null);
      await settle(answer, "The deletion", { t });
    } catch (error) {
      if (error.name !== "AbortError") say(line, error.detail, "error");
    }
  }

  function startEdit(t) {
    editing = t;
    editor.edit(t);
    editor.form.scrollIntoView({ block: "nearest" });
  }

  more.addEventListener("click", () => load(true));
  append(main, 
    h("h1", {}, "Transactions"),
    h("section", { class: "card", "aria-label": "Add or edit" }, editor.heading, editor.form, line, offer),
    h("section", { class: "card", "aria-label": "Find" }, h("h2", {}, "Find"), filtersForm(filters)),
    h(
      "section",
      { class: "card", "aria-label": "List" },
      h("h2", {}, search ? `Search results for “${filters.q}”` : "Newest first"),
      fresh,
      transactionsTable(rows),
      listStatus,
      more,
    ),
  );
  await Promise.all([load(), loadAccounts()]);
}
