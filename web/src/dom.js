// Small DOM helpers. Text always goes in as text nodes, never as HTML, so nothing the API returns
// can become markup.

/** h("p", {class: "muted"}, "text", child) → an element. Props starting with "on" are listeners. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== "string") el[key] = value; // hidden, disabled, checked, value
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  appendAll(el, children);
  return el;
}

/** Append children to an element, skipping null, undefined and false (el.append would write "null"). */
export function append(el, ...children) {
  appendAll(el, children);
  return el;
}

function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  appendAll(el, children);
  return el;
}

let counter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** An amount exactly as the API gave it, with its currency; never re-computed in floating point. */
export function money(amount, currency) {
  const negative = typeof amount === "string" && amount.startsWith("-");
  return h("span", { class: negative ? "money negative" : "money" }, `${amount} ${currency}`);
}

/** Whether two decimal strings are the same amount ("100" and "100.00"), compared as text, exactly. */
export function sameAmount(a, b) {
  const norm = (x) => String(x).trim().replace(/^(-?)0+(?=\d)/, "$1").replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  return norm(a) === norm(b);
}

/** "0.1250" → "12.5%" (a ratio for display, not money). */
export function percent(share) {
  return `${Math.round(Number(share) * 1000) / 10}%`;
}

/** A date-time from the API in the reader's locale. */
export function when(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const pad = (n) => String(n).padStart(2, "0");

/** Today's date in the reader's time zone, YYYY-MM-DD. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The current month in the reader's time zone, YYYY-MM. */
export function currentMonth() {
  return today().slice(0, 7);
}

export function isMonth(value) {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(value ?? "");
}

/** "2026-02" → {from: "2026-02-01", to: "2026-02-28"}. */
export function monthRange(month) {
  const [y, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${pad(last)}` };
}

/** A loading placeholder, an empty-state line, or an error line, for a section's body. */
export const loading = () => h("p", { class: "muted" }, "Loading…");
export const empty = (text) => h("p", { class: "muted" }, text);
export const failure = (error) => h("p", { class: "error", role: "alert" }, error.detail ?? String(error));

/** A table with a caption (for screen readers) and a header row; rows are arrays of cells. */
export function table(caption, headers, rows, { numeric = [] } = {}) {
  return h(
    "div",
    // A table wider than a phone scrolls sideways: keyboard users must be able to reach and scroll it.
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headers.map((text, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, text)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c, i) => h("td", { class: numeric.includes(i) ? "num" : null }, c))))),
    ),
  );
}

/** A titled card section; returns {section, body} so the body can be filled later. */
export function card(title, { id, wide = false, span = 1 } = {}) {
  const headingId = uid("card");
  const body = h("div", { class: "card-body" }, loading());
  const cls = ["card", wide ? "wide" : null, span === 2 ? "span2" : null].filter(Boolean).join(" ");
  const section = h("section", { class: cls, "aria-labelledby": headingId, id }, h("h2", { id: headingId }, title), body);
  return { section, body };
}
