// One account's entries, newest first, each with the balance after it (the API's running balance, never summed
// here); a transfer can be deleted (both legs) with If-Match, so one changed elsewhere is refused, not removed.
import { empty, failure, fill, h, money } from "../dom.js";
import { say } from "../forms.js";
import { Keys } from "../operations.js";
import { settle, TYPES } from "./accounts-list.js";

const PAGE = 25;

function facts(a) {
  const fact = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value));
  return h(
    "dl",
    { class: "facts" },
    fact("Type", Object.fromEntries(TYPES)[a.type] ?? a.type),
    fact("Opened on", a.opening_date),
    fact("Opening balance", money(a.opening_balance, a.currency)),
    fact("Balance now", money(a.balance, a.currency)),
    fact("Status", a.closed ? "Closed" : "Open"),
  );
}

/** What an entry was: a transaction's category, splits, payee and description; a transfer's other side. */
function what(e, nameOf) {
  const quiet = (text) => h("span", { class: "muted" }, text);
  if (e.kind === "transaction") {
    const parts = e.splits?.length ? e.splits.map((s) => `${s.category} ${s.amount}`).join(" · ") : e.category;
    return h("span", {}, parts, e.payee ? [" · ", e.payee] : null, e.description ? quiet(` · ${e.description}`) : null);
  }
  const out = e.kind === "transfer_out";
  const other = nameOf(e.counterpart_account);
  const otherSide = e.counterpart_currency && e.counterpart_currency !== e.currency ? ` (${e.counterpart_amount} ${e.counterpart_currency} ${out ? "arrived" : "left"})` : "";
  return h("span", {}, `${out ? "Transfer to" : "Transfer from"} ${other}${otherSide}`, e.description ? quiet(` · ${e.description}`) : null);
}

/**
 * The entries card's content for `account`: its facts, the entries table and "Load more". accounts names the
 * other side of transfers; onChanged runs after a transfer is deleted; `line` (the page's, so it outlives a
 * redraw) says how a deletion went.
 */
export async function accountEntries(body, { api, signal, account, accounts, onChanged, line }) {
  const keys = new Keys();
  const rows = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const listStatus = h("div");
  const nameOf = (id) => accounts.find((a) => a.id === id)?.name ?? "another account";
  let cursor = null;

  async function remove(e, cell) {
    try {
      const answer = await keys.write(api, "DELETE", `/api/transfers/${encodeURIComponent(e.id)}`, undefined, { ifMatch: e.etag, signal });
      const outcome = await settle(api, answer, line, { what: "Deleting the transfer", saved: `The transfer of ${e.date} is deleted from both accounts.`, signal });
      if (outcome.code === "conflict") say(line, "Deleting the transfer was refused: it was changed elsewhere after this list was loaded, so nothing was changed.", "error");
      if (outcome.state === "saved" || outcome.code === "conflict" || outcome.code === "not_found") await onChanged();
    } catch (error) {
      if (error.name !== "AbortError") say(line, error.detail, "error");
      actions(e, cell);
    }
  }

  function actions(e, cell) {
    if (e.kind === "transaction") return fill(cell);
    const label = `the transfer of ${e.date}, ${e.amount} ${e.currency}`;
    const ask = () => {
      const yes = h("button", { type: "button", class: "danger", onclick: () => remove(e, cell) }, "Yes, delete");
      fill(cell, h("span", {}, "Delete it from both accounts? "), yes, h("button", { type: "button", class: "secondary", onclick: () => actions(e, cell) }, "Keep"));
      yes.focus();
    };
    fill(cell, h("button", { type: "button", class: "danger", "aria-label": `Delete ${label}`, onclick: ask }, "Delete"));
  }

  function row(e) {
    const cell = h("td", { role: "cell", class: "row-actions e-actions" });
    actions(e, cell);
    return h(
      "tr",
      { "data-id": e.id, role: "row" },
      h("td", { role: "cell", class: "e-date" }, e.date),
      h("td", { role: "cell", class: "e-what" }, what(e, nameOf)),
      h("td", { role: "cell", class: "num e-amount" }, money(e.amount, e.currency)),
      // On a phone the header row is hidden: the figure says what it is (a screen reader has the header).
      h("td", { role: "cell", class: "num e-balance" }, h("span", { class: "phone-only", "aria-hidden": "true" }, "Balance after "), money(e.balance, e.currency)),
      cell,
    );
  }

  async function load(next) {
    try {
      const path = `/api/accounts/${encodeURIComponent(account.id)}/transactions`;
      const page = (await api.get(path, { cursor: next, limit: PAGE }, { signal })).body;
      if (!next) fill(rows);
      rows.append(...page.items.map(row));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      fill(listStatus, rows.children.length ? null : empty(`Nothing recorded in ${account.name} yet: its balance is its opening balance.`));
    } catch (error) {
      if (error.name !== "AbortError") fill(listStatus, failure(error));
    }
  }

  more.addEventListener("click", () => load(cursor));
  const headers = ["Date", "What", "Amount", "Balance after", "Actions"];
  rows.setAttribute("role", "rowgroup");
  fill(
    body,
    facts(account),
    h(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `Entries of ${account.name}` },
      h(
        "table",
        { class: "entries", role: "table" },
        h("caption", { class: "visually-hidden" }, `Entries of ${account.name}, newest first, with the balance after each`),
        h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, headers.map((c, i) => h("th", { scope: "col", role: "columnheader", class: i === 2 || i === 3 ? "num" : null }, c)))),
        rows,
      ),
    ),
    listStatus,
    more,
    line,
  );
  await load();
}
