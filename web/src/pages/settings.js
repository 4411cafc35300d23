// Settings: the home currency, which every report converts to by default (PUT /api/settings, followed to its
// outcome; the same request sent again after a lost answer carries the same Idempotency-Key).
import { append, card, fill, h } from "../dom.js";
import { busy, field, say, showError, statusLine, values } from "../forms.js";
import { follow, Keys, outcomeText, tone } from "../operations.js";
import { href } from "../router.js";

export async function render(main, { app, signal }) {
  const { api } = app;
  const line = statusLine();
  const keys = new Keys();
  const now = h("p", {});
  const home = card("Home currency", { wide: true });
  const form = h(
    "form",
    { class: "form-grid narrow", novalidate: true, "aria-label": "Home currency" },
    field({ label: "Home currency", name: "home_currency", required: true, maxlength: 3, autocapitalize: "characters", autocomplete: "off", hint: "ISO code, e.g. EUR: totals in other currencies are converted to it" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save home currency")),
  );

  function show(current) {
    if (current) form.elements.home_currency.value = current;
    fill(now, current ? ["Reports convert to ", h("strong", {}, current), " at the European Central Bank's rates."] : "No home currency yet: each currency is reported apart.");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const currency = values(form).home_currency.toUpperCase();
    const what = `Your home currency ${currency}`;
    try {
      const answer = await busy(form, () => keys.write(api, "PUT", "/api/settings", { home_currency: currency }, { signal }));
      const outcome = await follow(api, answer, (o) => say(line, outcomeText(o, what), tone(o)), { signal });
      if (outcome.state !== "saved") return;
      show(currency);
      say(line, `${what} is saved. The net worth page converts to it now; the overview does from the next sync of the figures.`, "ok");
    } catch (error) {
      if (error.name !== "AbortError") showError(form, line, error);
    }
  });

  fill(home.body, now, form, line, h("p", {}, h("a", { href: href("/net-worth") }, "See your net worth")));
  append(main, h("h1", {}, "Settings"), home.section);
  show((await api.get("/api/settings", undefined, { signal })).body.home_currency);
}
