// A tiny hash router: #/overview?month=2026-11 → the overview page with {month: "2026-11"}.
// Hash routes need nothing from the server but "/", and never put a token in a URL.
import { fill, h } from "./dom.js";

export function parseHash(hash) {
  const [path, search = ""] = hash.replace(/^#/, "").split("?");
  return { path: path || "/overview", params: new URLSearchParams(search) };
}

/** A link to a page with parameters, e.g. href("/overview", {month: "2026-11"}). */
export function href(path, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  return `#${path}${search.size ? "?" + search : ""}`;
}

const RETURN_KEY = "budget.return-to";

/** Where a person wanted to go before being asked to sign in (read once). */
export function takeReturnTo() {
  const wanted = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return wanted?.startsWith("#/") && !wanted.startsWith("#/sign-in") ? wanted : "#/overview";
}

/** Go to a page; going to the page already shown loads it again (a person pressing "Apply" twice means it). */
export function navigate(path, params) {
  const target = href(path, params);
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = target;
}

/**
 * Start routing. routes: {"/overview": {title, render(main, ctx), public?, admin?}}.
 * ctx = {app, params, signal, onCleanup(fn)}; a page's work stops (signal aborts) when it is left.
 */
export function startRouter(app, routes, { main, onRoute }) {
  let current = null;
  let shown = null;

  async function show() {
    // Other hashes are in-page anchors (the skip link): leave the page as it is.
    if (location.hash && !location.hash.startsWith("#/")) return;
    const { path, params } = parseHash(location.hash);
    let route = routes[path] ? path : "/overview";
    if (!routes[route].public && !app.session.signedIn) {
      sessionStorage.setItem(RETURN_KEY, location.hash);
      route = "/sign-in";
    } else if (route === "/sign-in" && app.session.signedIn) route = "/overview";
    if (route !== path) history.replaceState(null, "", href(route));
    current?.abort();
    current = new AbortController();
    const cleanups = [];
    current.signal.addEventListener("abort", () => cleanups.forEach((fn) => fn()));
    const page = routes[route];
    document.title = `${page.title} · Budget`;
    onRoute(route);
    fill(main);
    try {
      await page.render(main, { app, params, signal: current.signal, onCleanup: (fn) => cleanups.push(fn) });
    } catch (error) {
      if (error.name === "AbortError") return;
      fill(main, h("h1", {}, page.title), h("p", { class: "error", role: "alert" }, error.detail ?? error.message));
    }
    // On a new page, move focus to its heading so keyboard and screen-reader users land on it.
    const heading = main.querySelector("h1");
    if (heading && shown !== route && !main.contains(document.activeElement)) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
    shown = route;
  }

  window.addEventListener("hashchange", show);
  app.session.onChange(() => {
    const { path } = parseHash(location.hash);
    if (!app.session.signedIn && !routes[path]?.public) navigate("/sign-in");
  });
  return show();
}
