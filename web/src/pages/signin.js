// Sign-in: the development issuer's form locally, "Sign in with Microsoft" (MSAL.js) in Azure.
import { append, h } from "../dom.js";
import { busy, field, say, showError, statusLine, values } from "../forms.js";
import { takeReturnTo } from "../router.js";

export async function render(main, { app }) {
  const { config, session } = app;
  const notice = session.takeNotice();
  append(main, h("h1", {}, "Sign in"), notice ? h("p", { class: "notice", role: "status" }, notice) : null);

  if (config.dev_sign_in) {
    const line = statusLine();
    const form = h(
      "form",
      { class: "stack narrow", novalidate: true },
      h("p", { class: "hint" }, "Development sign-in: this server's local issuer signs a token for the user you name."),
      field({ label: "User", name: "user", required: true, autocomplete: "username", maxlength: 64, autocapitalize: "none", spellcheck: "false" }),
      field({ label: "Administrator", name: "admin", kind: "checkbox", hint: "Adds the Budget.Admin role to the token." }),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")),
      line,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { user, admin } = values(form);
      if (!user) return showError(form, line, { detail: "Enter a user name.", errors: [{ field: "user", message: "Enter a user name." }] });
      say(line, "Signing in…");
      try {
        await busy(form, () => session.signInDev(user, admin));
        location.hash = takeReturnTo();
      } catch (error) {
        showError(form, line, error);
      }
    });
    append(main, form);
  }

  if (config.entra) {
    const line = statusLine();
    const button = h("button", { type: "button", class: "microsoft" }, "Sign in with Microsoft");
    button.addEventListener("click", async () => {
      say(line, "Taking you to Microsoft's sign-in…");
      button.disabled = true;
      try {
        await session.signInMicrosoft();
      } catch (error) {
        button.disabled = false;
        say(line, error.message, "error");
      }
    });
    append(main, h("div", { class: "stack narrow" }, button, line));
  }

  if (!config.dev_sign_in && !config.entra) {
    append(main, h("p", { class: "error", role: "alert" }, "Sign-in is not configured on this server: set Entra ID's authority, client id and scope."));
  }
  main.querySelector("input, button")?.focus();
}
