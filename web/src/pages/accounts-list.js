// The accounts table: each balance exactly as the API gives it; rename, close and reopen, each naming the
// version it was made on (If-Match), so a change made elsewhere in the meantime is refused, not overwritten.
import { fill, h, money } from "../dom.js";
import { busy, field, say, showError, values } from "../forms.js";
import { follow, Keys, outcomeText, tone } from "../operations.js";
import { href } from "../router.js";

export const TYPES = [
  ["checking", "Checking"],
  ["savings", "Savings"],
  ["credit_card", "Credit card"],
  ["cash", "Cash"],
  ["investment", "Investment"],
  ["loan", "Loan"],
];
const TYPE_NAMES = Object.fromEntries(TYPES);

/** "Everyday (EUR)", as selects and sentences name an account. */
export const accountLabel = (a) => `${a.name} (${a.currency})`;

/**
 * Follow a write's 202 and say its outcome on `line`: `saved` when storage applied it, else the refusal's own
 * words after `what` ("Closing Everyday was refused: …"). Resolves to the outcome.
 */
export function settle(api, answer, line, { what, saved, signal }) {
  return follow(api, answer, (o) => say(line, o.state === "saved" ? saved : outcomeText(o, what), tone(o)), { signal });
}

export function accountsList({ api, signal, line, onChanged }) {
  const keys = new Keys(); // a PATCH sent again after a lost answer is recognised, not applied twice
  const rows = h("tbody", { role: "rowgroup" });
  const headers = ["Name", "Type", "Balance", "Status", "Actions"];
  // On a phone each row becomes a small card (accounts.css); the roles keep it a table for screen readers.
  const element = h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Accounts and balances" },
    h(
      "table",
      { class: "accounts", role: "table" },
      h("caption", { class: "visually-hidden" }, "Your accounts and their balances"),
      h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, headers.map((c, i) => h("th", { scope: "col", role: "columnheader", class: i === 2 ? "num" : null }, c)))),
      rows,
    ),
  );

  async function change(a, body, words) {
    const path = `/api/accounts/${encodeURIComponent(a.id)}`;
    const answer = await keys.write(api, "PATCH", path, body, { ifMatch: a.etag, signal });
    const outcome = await settle(api, answer, line, { ...words, signal });
    if (outcome.code === "conflict") {
      say(line, `${words.what} was refused: ${a.name} was changed elsewhere after this list was loaded, so nothing was changed. The list now shows it as it is.`, "error");
    }
    await onChanged();
    return outcome;
  }

  function row(a) {
    const name = h("td", { role: "cell", class: "a-name" });
    const actions = h("td", { role: "cell", class: "row-actions a-actions" });
    const showName = () => fill(name, h("a", { href: href("/accounts", { account: a.id }) }, a.name));

    function rename() {
      const form = h(
        "form",
        { class: "inline rename", novalidate: true, "aria-label": `Rename ${a.name}` },
        field({ label: "New name", name: "name", value: a.name, required: true, maxlength: 100, autocomplete: "off" }),
        h("button", { type: "submit" }, "Save name"),
        h("button", { type: "button", class: "secondary", onclick: showName }, "Cancel"),
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const next = values(form).name;
        if (next === a.name) return showName();
        try {
          await busy(form, () => change(a, { name: next }, { what: `Renaming ${a.name}`, saved: `${a.name} is now called ${next}.` }));
        } catch (error) {
          if (error.name !== "AbortError") showError(form, line, error);
        }
      });
      fill(name, form);
      form.elements.name.select();
    }

    async function toggle(button) {
      const closing = !a.closed;
      const words = closing
        ? { what: `Closing ${a.name}`, saved: `${a.name} is closed: it keeps its history and takes no new transactions or transfers.` }
        : { what: `Reopening ${a.name}`, saved: `${a.name} is open again.` };
      button.disabled = true;
      try {
        await change(a, { closed: closing }, words);
      } catch (error) {
        if (error.name !== "AbortError") say(line, error.detail, "error");
      } finally {
        button.disabled = false;
      }
    }

    showName();
    const toggleButton = h("button", { type: "button", class: a.closed ? "secondary" : "danger", "aria-label": `${a.closed ? "Reopen" : "Close"} ${a.name}`, onclick: () => toggle(toggleButton) }, a.closed ? "Reopen" : "Close");
    fill(actions, h("button", { type: "button", class: "secondary", "aria-label": `Rename ${a.name}`, onclick: rename }, "Rename"), toggleButton);
    return h(
      "tr",
      { role: "row", "data-id": a.id, class: a.closed ? "closed" : null },
      name,
      h("td", { role: "cell", class: "a-type" }, TYPE_NAMES[a.type] ?? a.type),
      h("td", { role: "cell", class: "num a-balance" }, money(a.balance, a.currency)),
      h("td", { role: "cell", class: "a-status" }, a.closed ? "Closed" : "Open"),
      actions,
    );
  }

  return {
    element,
    show(accounts) {
      fill(rows, accounts.map(row));
    },
  };
}
