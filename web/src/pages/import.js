// Import: a bank file into one of your accounts. Preview first (storage answers it: rows, unreadable lines,
// rows already there, proposed links to transactions entered by hand), then import and follow the outcome.
import { ApiError } from "../api.js";
import { append, empty, failure, fill, h, table } from "../dom.js";
import { busy, field, say, statusLine, values } from "../forms.js";

const FORMATS = [["auto", "Detect from the file"], ["csv", "CSV"], ["ofx", "OFX / QFX"], ["qif", "QIF"], ["camt053", "camt.053 (ISO 20022 XML)"]];
const STATUS = { new: "New", duplicate: "Already imported", matched: "Linked", rejected: "Refused" };
const MAX_WAITS = 24; // ?wait=5 each: two minutes for a large file's rows to be stored

/** The URL of a path on the app that serves it: storage answers previews, accounts and outcomes. */
function at(api, service, path, params) {
  const query = params ? "?" + new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== undefined)) : "";
  return new URL((api.bases[service] ?? "") + path + query, location.origin);
}

/** POST the file itself as the body (any content type: the server tells the format by its content). */
async function upload(api, url, file, signal) {
  if (!api.trusted.has(url.origin)) throw new ApiError(0, { detail: `Refusing to send your token to ${url.origin}.` });
  const headers = { Accept: "application/json", Authorization: `Bearer ${await api.session.token()}` };
  let response;
  try {
    response = await fetch(url, { method: "POST", headers, body: file, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: "The service could not be reached. Check the connection and try again." });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const counts = (c) => `${c.new} new, ${c.duplicates} already imported, ${c.matched} linked to transactions you entered, ${c.rejected} refused`;

function errorsTable(errors) {
  if (!errors.length) return null;
  return h("div", {}, h("h3", {}, `Lines that will not be imported (${errors.length})`), table("Lines that will not be imported", ["Line", "Reason"], errors.map((e) => [String(e.line), e.reason]), { numeric: [0] }));
}

function matchesTable(matches) {
  if (!matches.length) return h("p", { class: "muted" }, "No row matches a transaction you entered by hand.");
  const rows = matches.map((m) => [String(m.line), m.date, `${m.type === "expense" ? "-" : ""}${m.amount}`, m.payee ?? m.description ?? "", `${m.transaction.date} · ${m.transaction.amount} ${m.transaction.currency} · ${m.transaction.description ?? m.transaction.category}`, String(m.days_apart)]);
  return h("div", {}, h("h3", {}, `Linked instead of added (${matches.length})`), table("Rows linked to transactions you entered", ["Line", "Date", "Amount", "Payee", "Your transaction", "Days apart"], rows, { numeric: [0, 2, 5] }));
}

function rowsTable(rows, total) {
  const cells = rows.map((t) => [String(t.line), t.date, `${t.type === "expense" ? "-" : ""}${t.amount} ${t.currency}`, t.payee ?? "", t.description ?? "", STATUS[t.status] ?? t.status]);
  const title = rows.length < total ? `The first ${rows.length} of ${total} rows` : `All ${total} rows`;
  return h("div", {}, h("h3", {}, title), table(title, ["Line", "Date", "Amount", "Payee", "Description", "Status"], cells, { numeric: [0, 2] }));
}

function outcomeTable(outcome) {
  return table("Import outcome", ["New", "Already imported", "Linked", "Refused"], [[String(outcome.new), String(outcome.duplicates), String(outcome.matched), String(outcome.rejected)]], { numeric: [0, 1, 2, 3] });
}

export async function render(main, { app, signal }) {
  const { api } = app;
  const line = statusLine();
  const previewBox = h("section", { class: "card wide", "aria-label": "Preview", hidden: true });
  const outcomeBox = h("section", { class: "card wide", "aria-label": "Outcome", hidden: true });
  append(main, h("div", { class: "page-head" }, h("h1", {}, "Import")));

  const { body } = await api.send("GET", at(api, "storage", "/api/accounts"), undefined, { signal });
  const open = (body?.items ?? []).filter((a) => !a.closed);
  if (!open.length) {
    append(main, empty("Open an account first: a bank file is imported into one of your accounts."));
    return;
  }
  const form = h(
    "form",
    { class: "form-grid", novalidate: true, "aria-label": "Import a bank file" },
    field({ label: "Account", name: "account_id", kind: "select", required: true, options: open.map((a) => [a.id, `${a.name} (${a.currency})`]) }),
    field({ label: "Bank file", name: "file", kind: "file", required: true, accept: ".csv,.txt,.ofx,.qfx,.qif,.xml", hint: "CSV, OFX, QFX, QIF or camt.053, at most 10 MiB" }),
    field({ label: "Format", name: "format", kind: "select", value: "auto", options: FORMATS }),
    field({ label: "Date format", name: "date_format", placeholder: "DD.MM.YYYY", hint: "Only when the file's dates could be read two ways" }),
    field({ label: "Skip lines that cannot be read", name: "skip_invalid", kind: "checkbox" }),
    field({ label: "Link rows to transactions I entered by hand", name: "match", kind: "checkbox", value: true }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Preview")),
  );
  append(main, h("section", { class: "card", "aria-label": "Choose a file" }, h("h2", {}, "Choose a file"), form, line), previewBox, outcomeBox);

  const settings = () => {
    const v = values(form);
    return { account_id: v.account_id, format: v.format, date_format: v.date_format, skip_invalid: v.skip_invalid, match: v.match };
  };

  async function confirm(file, params, rows) {
    outcomeBox.hidden = false;
    fill(outcomeBox, h("h2", {}, "Outcome"), h("p", { class: "muted" }, "Sending…"));
    const accepted = await upload(api, at(api, "receiver", "/api/imports", params), file, signal);
    say(line, `${accepted.rows} rows were accepted; storing them…`, "info");
    let outcome = { status: "pending" };
    for (let i = 0; i < MAX_WAITS && outcome.status === "pending"; i += 1) {
      outcome = (await api.send("GET", at(api, "storage", `/api/imports/${encodeURIComponent(accepted.import_id)}`, { wait: 5 }), undefined, { signal })).body;
    }
    if (outcome.status === "pending") {
      fill(outcomeBox, h("h2", {}, "Outcome"), h("p", {}, `The ${rows} rows were accepted and are still being stored; they will show in the account once they are.`));
      return;
    }
    const refused = (outcome.rejected_items ?? []).map((r) => r.reason?.detail ?? "");
    fill(outcomeBox, h("h2", {}, "Outcome"), outcomeTable(outcome), refused.length ? h("ul", { class: "error" }, refused.slice(0, 20).map((d) => h("li", {}, d))) : null);
    say(line, `Imported: ${counts(outcome)}.`, outcome.rejected ? "error" : "ok");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.elements.namedItem("file").files[0];
    if (!file) return say(line, "Choose the bank's file first.", "error");
    const params = settings();
    outcomeBox.hidden = true;
    try {
      const preview = await busy(form, () => upload(api, at(api, "storage", "/api/imports", { ...params, dry_run: true }), file, signal));
      const importable = preview.new + preview.matched;
      const unreadable = preview.errors.length - preview.rejected; // the rest are rows the account refuses
      const blocked = unreadable > 0 && !params.skip_invalid;
      const go = h("button", { type: "button", disabled: !importable || blocked }, `Import ${importable} rows`);
      go.addEventListener("click", async () => {
        go.disabled = true;
        try {
          await confirm(file, params, importable);
        } catch (error) {
          if (error.name !== "AbortError") fill(outcomeBox, h("h2", {}, "Outcome"), failure(error));
        }
      });
      previewBox.hidden = false;
      fill(previewBox, h("h2", {}, `Preview of ${file.name}`), h("p", {}, `${preview.rows} rows read (${preview.format}): ${counts(preview)}.`), h("div", { class: "actions" }, go), errorsTable(preview.errors), matchesTable(preview.matches), rowsTable(preview.transactions, preview.rows));
      if (blocked) say(line, `${unreadable} lines cannot be read: correct them, or tick “Skip lines that cannot be read” and preview again.`, "error");
      else say(line, importable ? "Check the preview, then import." : "Nothing in this file would be imported.", importable ? "info" : "error");
    } catch (error) {
      if (error.name === "AbortError") return;
      previewBox.hidden = false;
      const lines = error.problem?.errors?.filter((e) => e.line) ?? [];
      fill(previewBox, h("h2", {}, "The file cannot be imported"), failure(error), errorsTable(lines));
      say(line, error.detail, "error");
    }
  });
}
