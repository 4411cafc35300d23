// Who is signed in, and their access token. Tokens live in sessionStorage only (gone when the tab
// closes), never in a URL, never logged; signing out removes them.
//   - development issuer: the sign-in form asks POST /api/dev/token for a token;
//   - Entra ID: MSAL.js, authorization code flow with PKCE, redirect (loaded only when configured).

export const ADMIN_ROLE = "Budget.Admin";
const KEY = "budget.session";
const NOTICE_KEY = "budget.notice";

/** The claims of a JWT, read for display only: the API verifies the token, the page never trusts it. */
export function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

export class Session {
  constructor(config) {
    this.config = config;
    this.msal = null;
    this.account = null;
    this.listeners = new Set();
  }

  /** Finish a sign-in that comes back from Microsoft, if there is one. */
  async start() {
    if (!this.config.entra) return;
    const { createMsal } = await import("./msal.js");
    this.msal = await createMsal(this.config.entra);
    let result = null;
    try {
      result = await this.msal.handleRedirectPromise();
    } catch (error) {
      // Cancelled, or refused by Entra ID: say so on the sign-in page rather than failing to start.
      sessionStorage.setItem(NOTICE_KEY, `Sign-in with Microsoft did not complete: ${error.errorMessage || error.message}`);
    }
    this.account = result?.account ?? this.msal.getActiveAccount() ?? this.msal.getAllAccounts()[0] ?? null;
    if (this.account) {
      this.msal.setActiveAccount(this.account);
      if (result?.accessToken) this.#store({ access_token: result.accessToken, mode: "entra" });
    }
  }

  get current() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
      if (saved && saved.expires_at > Date.now()) return saved;
    } catch {
      // an unreadable entry is the same as none
    }
    return null;
  }

  get signedIn() {
    return this.current !== null || this.account !== null;
  }

  get user() {
    return this.account?.name ?? this.account?.username ?? this.current?.user ?? "";
  }

  get isAdmin() {
    return (this.current?.roles ?? this.account?.idTokenClaims?.roles ?? []).includes(ADMIN_ROLE);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  #store({ access_token, mode }) {
    const claims = claimsOf(access_token);
    const expires = claims.exp ? claims.exp * 1000 : Date.now() + 5 * 60_000;
    const user = mode === "dev" ? claims.oid ?? claims.sub : claims.name ?? claims.preferred_username ?? claims.oid;
    const saved = { access_token, expires_at: expires, mode, user, roles: claims.roles ?? [] };
    sessionStorage.setItem(KEY, JSON.stringify(saved));
    this.listeners.forEach((fn) => fn());
  }

  /** Development sign-in: the form's user and administrator choice, minted by this server. */
  async signInDev(user, admin) {
    const response = await fetch("/api/dev/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ user, admin }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(body.detail ?? `Sign-in failed (${response.status})`), body);
    this.#store({ access_token: body.access_token, mode: "dev" });
  }

  async signInMicrosoft() {
    await this.msal.loginRedirect({ scopes: [this.config.entra.scope] });
  }

  /** A valid access token for the API, renewed silently by MSAL when it can be. */
  async token() {
    const saved = this.current;
    if (saved && saved.expires_at - Date.now() > 60_000) return saved.access_token;
    if (this.msal && this.account) {
      const { InteractionRequiredAuthError } = await import("./msal.js");
      try {
        const result = await this.msal.acquireTokenSilent({ scopes: [this.config.entra.scope], account: this.account });
        this.#store({ access_token: result.accessToken, mode: "entra" });
        return result.accessToken;
      } catch (error) {
        if (!(error instanceof InteractionRequiredAuthError)) throw error;
        await this.msal.acquireTokenRedirect({ scopes: [this.config.entra.scope], account: this.account });
        return new Promise(() => {}); // the page is navigating to Microsoft's sign-in
      }
    }
    if (saved) return saved.access_token;
    this.end("Your session has ended: sign in again.");
    throw Object.assign(new Error("Not signed in"), { status: 401, detail: "Not signed in." });
  }

  /** Forget the tokens (the API refused them, or they expired), keeping a line to show on the sign-in page. */
  end(notice) {
    sessionStorage.removeItem(KEY);
    if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
    this.account = null;
    this.listeners.forEach((fn) => fn());
  }

  takeNotice() {
    const notice = sessionStorage.getItem(NOTICE_KEY);
    sessionStorage.removeItem(NOTICE_KEY);
    return notice;
  }

  async signOut() {
    const account = this.account;
    this.end("You are signed out.");
    if (this.msal && account) await this.msal.logoutRedirect({ account, postLogoutRedirectUri: location.origin + "/" });
  }
}
