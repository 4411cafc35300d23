// A table of figures that becomes one small card per row on a phone (accounts.css): the first cell heads the
// card and every other cell shows its column's name beside it (data-label), so nothing scrolls sideways.
import { h } from "../dom.js";

/** Like dom.table: a caption, header names, rows as arrays of cells; `numeric` lists right-aligned columns. */
export function cardTable(caption, headers, rows, { numeric = [], className = "" } = {}) {
  const cls = (i) => (numeric.includes(i) ? "num" : null);
  // The explicit roles keep it a table for screen readers once CSS changes its display on a phone.
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h(
      "table",
      { class: `card-table ${className}`.trim(), role: "table" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, headers.map((text, i) => h("th", { scope: "col", role: "columnheader", class: cls(i) }, text)))),
      h(
        "tbody",
        { role: "rowgroup" },
        rows.map((cells) => h("tr", { role: "row" }, cells.map((c, i) => h("td", { role: "cell", class: cls(i), "data-label": headers[i] }, c)))),
      ),
    ),
  );
}
