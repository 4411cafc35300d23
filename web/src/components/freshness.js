// "As of …": how fresh the analytics figures are (reports answer from a store synced every minute).
import { h, when } from "../dom.js";

export function freshness(f) {
  if (!f) return null;
  const parts = [f.synced_at ? `Figures as of ${when(f.synced_at)}` : "Figures not synced yet"];
  if (Number.isInteger(f.changes_behind)) parts.push(f.changes_behind === 0 ? "up to date" : `${f.changes_behind} changes behind`);
  return h("p", { class: "freshness muted" }, h("time", { datetime: f.synced_at ?? "" }, parts.join(" · ")));
}
