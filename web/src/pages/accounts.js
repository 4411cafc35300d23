// Accounts: every account with its exact balance (read from storage, so a saved write shows at once), opening,
// renaming, closing and reopening, moving money between accounts, and one account's entries with the balance
// after each (#/accounts?account=<id>).
import "./accounts.css";
import { append, card, empty, failure, fill, h } from "../dom.js";
import { statusLine } from "../forms.js";
import { accountEntries } from "./accounts-entries.js";
import { openAccountForm, transferForm } from "./accounts-forms.js";
import { accountsList } from "./accounts-list.js";

export async function render(main, { app, params, signal }) {
  const { api } = app;
  const selected = params.get("account");
  const listLine = statusLine();
  const entriesLine = statusLine();
  const listCard = card("Your accounts", { wide: true });
  const entriesCard = selected ? card("Entries", { wide: true, id: "entries" }) : null;
  const openCard = card("Open an account");
  const moveCard = card("Move money between your accounts");
  let accounts = [];

  const list = accountsList({ api, signal, line: listLine, onChanged: () => refresh() });
  const opener = openAccountForm({ api, signal, onOpened: () => refresh() });
  const mover = transferForm({ api, signal, onMoved: () => refresh() });
  fill(openCard.body, opener.form, opener.line);
  fill(moveCard.body, mover.element);

  async function showEntries() {
    const account = accounts.find((a) => a.id === selected);
    const heading = entriesCard.section.querySelector("h2");
    if (!account) {
      heading.textContent = "Entries";
      return fill(entriesCard.body, failure({ detail: "That account is not among yours." }));
    }
    heading.textContent = `Entries of ${account.name}`;
    await accountEntries(entriesCard.body, { api, signal, account, accounts, line: entriesLine, onChanged: () => refresh() });
  }

  /** Read the accounts again and show them everywhere: the table, the transfer form, the entries. */
  async function refresh() {
    try {
      accounts = (await api.get("/api/accounts", undefined, { signal })).body.items;
    } catch (error) {
      if (error.name !== "AbortError") fill(listCard.body, failure(error), listLine);
      return;
    }
    list.show(accounts);
    fill(listCard.body, accounts.length ? list.element : empty("No accounts yet: open one below."), listLine);
    mover.setAccounts(accounts);
    if (entriesCard) await showEntries();
  }

  append(
    main,
    h("h1", {}, "Accounts"),
    h("div", { class: "grid" }, listCard.section, entriesCard?.section, openCard.section, moveCard.section),
  );
  await refresh();
  if (entriesCard) {
    // Opened from an account's name: land on its entries (the page stays the same route, so focus is ours).
    const heading = entriesCard.section.querySelector("h2");
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
    entriesCard.section.scrollIntoView({ block: "start" });
  }
}
