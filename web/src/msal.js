// MSAL.js for Entra ID sign-in, in its own chunk: loaded only when the server configures Entra ID.
import { createStandardPublicClientApplication, InteractionRequiredAuthError, LogLevel } from "@azure/msal-browser";

export { InteractionRequiredAuthError };

/** The public client for the one app registration that is both this SPA and the API. */
export function createMsal({ authority, client_id }) {
  return createStandardPublicClientApplication({
    auth: {
      clientId: client_id,
      authority,
      redirectUri: location.origin + "/",
      postLogoutRedirectUri: location.origin + "/",
    },
    cache: { cacheLocation: "sessionStorage" },
    system: {
      // Errors only, and never personal data: MSAL's own logging stays out of the console otherwise.
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} },
    },
  });
}
