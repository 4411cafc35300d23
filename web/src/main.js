// The dashboard's entry point: read the server's config, finish any sign-in, then route.
import "./styles.css";
import { Api } from "./api.js";
import { Session } from "./auth.js";
import { fill, h } from "./dom.js";
import * as accounts from "./pages/accounts.js";
import * as admin from "./pages/admin.js";
import * as budgets from "./pages/budgets.js";
import * as importPage from "./pages/import.js";
import * as netWorth from "./pages/networth.js";
import * as overview from "./pages/overview.js";
import * as settings from "./pages/settings.js";
import * as signIn from "./pages/signin.js";
import * as transactions from "./pages/transactions.js";
import { href, startRouter } from "./router.js";

const routes = {
  "/overview": { title: "Overview", render: overview.render },
  "/transactions": { title: "Transactions", render: transactions.render },
  "/budgets": { title: "Budgets", render: budgets.render },
  "/import": { title: "Import", render: importPage.render },
  "/accounts": { title: "Accounts", render: accounts.render },
  "/net-worth": { title: "Net worth", render: netWorth.render },
  "/settings": { title: "Settings", render: settings.render },
  "/admin": { title: "Administration", render: admin.render },
  "/sign-in": { title: "Sign in", render: signIn.render, public: true },
};
const menu = [
  ["/overview", "Overview"],
  ["/transactions", "Transactions"],
  ["/budgets", "Budgets"],
  ["/import", "Import"],
  ["/accounts", "Accounts"],
  ["/net-worth", "Net worth"],
  ["/settings", "Settings"],
  ["/admin", "Admin", { admin: true }],
];

function renderHeader(app, route) {
  const { session } = app;
  const nav = document.getElementById("nav");
  nav.hidden = !session.signedIn;
  fill(
    nav,
    h(
      "ul",
      {},
      menu
        .filter(([, , opts]) => !opts?.admin || session.isAdmin)
        .map(([path, label]) => h("li", {}, h("a", { href: href(path), "aria-current": path === route ? "page" : null }, label))),
      h("li", {}, h("a", { href: "/api/docs" }, "API docs")),
    ),
  );
  const box = document.getElementById("session");
  if (!session.signedIn) return fill(box);
  fill(
    box,
    h("span", { class: "who" }, "Signed in as ", h("strong", {}, session.user), session.isAdmin ? " (administrator)" : ""),
    h("button", { type: "button", class: "secondary", onclick: () => session.signOut() }, "Sign out"),
  );
}

async function boot() {
  const response = await fetch("/config.json", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`The dashboard's configuration could not be read (${response.status}).`);
  const config = await response.json();
  const session = new Session(config);
  await session.start();
  const app = { config, session, api: new Api(config.api_urls, session) };
  let route = null;
  session.onChange(() => renderHeader(app, route));
  await startRouter(app, routes, {
    main: document.getElementById("main"),
    onRoute: (r) => renderHeader(app, (route = r)),
  });
}

boot().catch((error) => {
  fill(
    document.getElementById("main"),
    h("h1", {}, "The dashboard could not start"),
    h("p", { class: "error", role: "alert" }, error.detail ?? error.message),
  );
});
