// A labelled month input that moves the page to another month.
import { h, uid } from "../dom.js";

export function monthPicker(month, onPick, label = "Month") {
  const id = uid("month");
  const input = h("input", { id, name: "month", type: "month", value: month, required: true });
  const form = h("form", { class: "inline", role: "search", "aria-label": label }, h("label", { for: id }, label), input, h("button", { type: "submit", class: "secondary" }, "Show"));
  const pick = (event) => {
    event.preventDefault();
    if (/^\d{4}-\d{2}$/.test(input.value) && input.value !== month) onPick(input.value);
  };
  form.addEventListener("submit", pick);
  input.addEventListener("change", pick);
  return form;
}
