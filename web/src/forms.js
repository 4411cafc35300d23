// Forms with visible labels, the API's field errors shown next to their fields, and a status line.
import { fill, h, uid } from "./dom.js";

/**
 * A labelled field. kind: "text" (default), "date", "month", "select", "checkbox".
 * options for a select: [[value, label], ...].
 */
export function field({ label, name, kind = "text", value = "", required = false, options, hint, ...attrs }) {
  const id = uid(name);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const common = { id, name, required, "aria-describedby": hintId, ...attrs };
  let control;
  if (kind === "select") {
    control = h("select", common, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  } else if (kind === "checkbox") {
    control = h("input", { ...common, type: "checkbox", checked: Boolean(value) });
  } else {
    control = h("input", { ...common, type: kind, value });
  }
  const labelEl = h("label", { for: id }, label, required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null);
  return h(
    "div",
    { class: kind === "checkbox" ? "field checkbox" : "field" },
    kind === "checkbox" ? [control, labelEl] : [labelEl, control],
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errorId, hidden: true }),
  );
}

/** A status line that screen readers announce. */
export function statusLine() {
  return h("p", { class: "status", role: "status", "aria-live": "polite" });
}

/** Show a message in a status line; tone: "info" | "ok" | "error". */
export function say(line, text, tone = "info") {
  line.dataset.tone = tone;
  fill(line, text ?? "");
}

/** The form's values as an object of trimmed strings (checkboxes as booleans). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    out[el.name] = el.type === "checkbox" ? el.checked : el.value.trim();
  }
  return out;
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    const hint = el.closest(".field")?.querySelector(".hint");
    el.setAttribute("aria-describedby", hint?.id ?? "");
  }
  for (const p of form.querySelectorAll(".field-error")) fill(p).hidden = true;
}

/** Put an API error's field errors beside their fields and its detail in the status line. */
export function showError(form, line, error) {
  clearErrors(form);
  let first = null;
  for (const { field: name, message } of error.errors ?? []) {
    const el = form.elements.namedItem(name);
    if (!el || !el.id) continue;
    const p = form.querySelector(`#${CSS.escape(el.id)}-error`);
    fill(p, message).hidden = false;
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", [el.getAttribute("aria-describedby"), p.id].filter(Boolean).join(" "));
    first ??= el;
  }
  say(line, error.detail ?? String(error.message ?? error), "error");
  (first ?? line).focus?.();
}

/** Disable a form's controls while a request runs. */
export async function busy(form, work) {
  const controls = [...form.elements].filter((el) => !el.disabled);
  controls.forEach((el) => (el.disabled = true));
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    controls.forEach((el) => (el.disabled = false));
    form.removeAttribute("aria-busy");
  }
}
