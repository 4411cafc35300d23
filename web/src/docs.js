// The API documentation page: Swagger UI from the swagger-ui-dist package, served from this origin,
// reading /api/openapi.json. When the dashboard in this tab is signed in, calls are made as that user.
import "swagger-ui-dist/swagger-ui.css";
import "./docs.css";
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";

function signedInToken() {
  try {
    const saved = JSON.parse(sessionStorage.getItem("budget.session") ?? "null");
    return saved && saved.expires_at > Date.now() ? saved : null;
  } catch {
    return null;
  }
}

const ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // the default would load a badge from a validator on the internet
  onComplete: () => {
    const saved = signedInToken();
    if (!saved) return;
    // The document's bearer scheme, whatever it is named, gets the dashboard's token.
    const schemes = ui.specSelectors.specJson().getIn(["components", "securitySchemes"])?.toJS() ?? {};
    const bearer = Object.entries(schemes).find(([, s]) => s.type === "http" && s.scheme?.toLowerCase() === "bearer");
    if (bearer) ui.preauthorizeApiKey(bearer[0], saved.access_token);
    document.getElementById("docs-session").textContent = `Calls are made as ${saved.user ?? "you"} (signed in on the dashboard).`;
  },
});
