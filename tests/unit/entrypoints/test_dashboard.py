"""The dashboard router: what it serves, the headers on every answer, the dev sign-in, and the built page."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from functions.dashboard import DashboardConfig, dashboard_router

REPO = Path(__file__).resolve().parents[3]
LOCAL = DashboardConfig(dev_sign_in=True, authority=None, client_id=None, scope=None, api_urls={})
AZURE = DashboardConfig(
    dev_sign_in=False,
    authority="https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555",
    client_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    scope="api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/access_as_user",
    api_urls={
        "receiver": "https://budget-receiver.azurewebsites.net",
        "analyzer": "https://budget-analyzer.example.org/x",
    },
)


class Minter:
    """Stands in for DevIssuer.token: a real JWT (HS256 here), and a record of what was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, user: str, admin: bool) -> str:
        self.calls.append((user, admin))
        claims = {"oid": user, "exp": int(time.time()) + 3600, "roles": ["Budget.Admin"] if admin else []}
        return jwt.encode(claims, "k" * 32, algorithm="HS256")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A tiny build: two pages and their hashed assets."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/assets/app-AB12.js"></script>')
    (tmp_path / "docs.html").write_text('<!doctype html><script type="module" src="/assets/docs-CD34.js"></script>')
    (tmp_path / "assets" / "app-AB12.js").write_text("export const answer = 42;")
    (tmp_path / "assets" / "app-EF56.css").write_text("body { margin: 0 }")
    return tmp_path


def client(config: DashboardConfig, dist: Path, minter=None) -> TestClient:
    app = FastAPI()
    app.include_router(dashboard_router(config, dist, minter))
    return TestClient(app)


def csp(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))


def test_every_page_asset_and_error_carries_a_strict_policy_and_the_other_headers(dist):
    c = client(LOCAL, dist, Minter())
    answers = [
        c.get("/"),
        c.get("/api/docs"),
        c.get("/config.json"),
        c.get("/assets/app-AB12.js"),
        c.get("/assets/app-EF56.css"),
        c.get("/assets/gone-0000.js"),
        c.post("/api/dev/token", json={"user": "alice"}),
        c.post("/api/dev/token", json={"user": ""}),
    ]
    for r in answers:
        policy = csp(r)
        assert policy["script-src"] == "'self'", r.url
        assert policy["default-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["base-uri"] == "'none'"
        assert policy["connect-src"] == "'self'"
        assert "unsafe" not in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_the_policy_lets_the_page_reach_only_the_configured_apis_and_the_entra_authority(dist):
    policy = csp(client(AZURE, dist).get("/"))
    assert policy["connect-src"].split() == [
        "'self'",
        "https://budget-analyzer.example.org",
        "https://budget-receiver.azurewebsites.net",
        "https://login.microsoftonline.com",
    ]
    assert policy["frame-src"] == "https://login.microsoftonline.com"  # MSAL's silent renewal frame
    assert policy["script-src"] == "'self'"


def test_config_json_tells_the_page_how_to_sign_in_and_where_each_api_is(dist):
    assert client(AZURE, dist).get("/config.json").json() == {
        "dev_sign_in": False,
        "entra": {
            "authority": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555",
            "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "scope": "api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/access_as_user",
        },
        "api_urls": {
            "receiver": "https://budget-receiver.azurewebsites.net",
            "storage": "",
            "analyzer": "https://budget-analyzer.example.org/x",
        },
    }
    local = client(LOCAL, dist, Minter()).get("/config.json").json()
    assert local == {"dev_sign_in": True, "entra": None, "api_urls": {"receiver": "", "storage": "", "analyzer": ""}}


def test_dev_sign_in_is_offered_only_when_there_is_a_minter(dist):
    assert client(LOCAL, dist, None).get("/config.json").json()["dev_sign_in"] is False
    assert client(LOCAL, dist, None).post("/api/dev/token", json={"user": "alice"}).status_code == 404


def test_pages_are_revalidated_and_hashed_assets_cached_for_good(dist):
    c = client(LOCAL, dist)
    page = c.get("/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    asset = c.get("/assets/app-AB12.js")
    assert asset.text == "export const answer = 42;"
    assert asset.headers["content-type"].startswith("text/javascript")
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert c.get("/api/docs").text.startswith("<!doctype html>")


@pytest.mark.parametrize("name", ["gone-0000.js", ".hidden", "..%2Findex.html", "%2E%2E%2Findex.html"])
def test_only_files_inside_assets_are_served(dist, name):
    (dist / ".hidden").write_text("secret")
    r = client(LOCAL, dist).get(f"/assets/{name}")
    assert r.status_code == 404  # from the router as problem details, or from the app: no route matches
    assert "doctype" not in r.text and "secret" not in r.text


def test_a_missing_build_says_how_to_build_it(tmp_path):
    c = client(LOCAL, tmp_path / "dist", Minter())
    for path in ("/", "/api/docs", "/assets/app-AB12.js"):
        r = c.get(path)
        assert r.status_code == 503, path
        assert "make web" in r.text and r.headers["content-type"].startswith("text/html")
        assert csp(r)["script-src"] == "'self'"
    assert c.get("/config.json").status_code == 200
    assert c.post("/api/dev/token", json={"user": "alice"}).status_code == 200


def test_the_dev_token_is_minted_for_the_named_user_and_role(dist):
    minter = Minter()
    r = client(LOCAL, dist, minter).post("/api/dev/token", json={"user": "alice@example", "admin": True})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and 3590 <= body["expires_in"] <= 3600
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["oid"] == "alice@example"
    assert minter.calls == [("alice@example", True)]
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"user": ""}, 422, "user"),
        ({"user": "a b"}, 422, "user"),
        ({"user": "x" * 65}, 422, "user"),
        ({"user": "alice", "admin": "yes"}, 422, "admin"),
        ({"user": "alice", "role": "root"}, 422, "role"),
        ({}, 422, "user"),
    ],
)
def test_a_bad_dev_token_request_is_refused_as_problem_details_naming_the_field(dist, body, status, field):
    minter = Minter()
    r = client(LOCAL, dist, minter).post("/api/dev/token", json=body)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == status and problem["detail"].startswith("The request has invalid fields")
    assert [e["field"] for e in problem["errors"]] == [field]
    assert minter.calls == []


def test_dev_token_refuses_what_is_not_json(dist):
    c = client(LOCAL, dist, Minter())
    form_type = {"content-type": "application/x-www-form-urlencoded"}
    form = c.post("/api/dev/token", content=b"user=alice", headers=form_type)
    assert (form.status_code, form.headers["content-type"]) == (415, "application/problem+json")
    broken = c.post("/api/dev/token", content=b"{not json", headers={"content-type": "application/json"})
    assert (broken.status_code, broken.headers["content-type"]) == (400, "application/problem+json")
    huge = c.post("/api/dev/token", content=b" " * 5000 + b"{}", headers={"content-type": "application/json"})
    assert huge.status_code == 413


def test_the_dev_route_answers_404_while_the_dev_issuer_is_off(dist):
    off = DashboardConfig(dev_sign_in=False, authority=None, client_id=None, scope=None, api_urls={})
    minter = Minter()
    r = client(off, dist, minter).post("/api/dev/token", json={"user": "alice"})
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    assert minter.calls == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"authority": "https://login.microsoftonline.com/t"},  # without client id and scope
        {"authority": "http://login.example/t", "client_id": "c", "scope": "s"},  # not https
        {"api_urls": {"billing": "https://x.example"}},  # no such service
        {"api_urls": {"receiver": "ftp://x.example"}},
        {"api_urls": {"receiver": "https://x.example/?q=1"}},
    ],
)
def test_a_config_the_page_could_not_use_is_refused_at_start(kwargs):
    base = {"dev_sign_in": False, "authority": None, "client_id": None, "scope": None, "api_urls": {}}
    with pytest.raises(ValueError):
        DashboardConfig(**{**base, **kwargs})


# -- the real build ---------------------------------------------------------------------------------------

# Hosts that the bundled libraries name in strings but the page never loads from: the policy would refuse
# them anyway, and the browser test checks every request stays on the page's origin. A new host here
# means a new dependency or a changed one: look at why before adding it.
INERT_HOSTS = {
    # MSAL.js: the Entra ID clouds' authorities (used only when configured), its region discovery (off unless
    # azureRegion is set), and the help links in its error messages.
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.microsoftonline.de",
    "login.chinacloudapi.cn",
    "169.254.169.254",
    "aka.ms",
    # Swagger UI: identifiers of the specs and schemas it understands, and links in its messages; its
    # validator badge is switched off (validatorUrl: null in src/docs.js).
    "www.w3.org",
    "json-schema.org",
    "spec.openapis.org",
    "datatracker.ietf.org",
    "www.rfc-editor.org",
    "spdx.org",
    "swagger.io",
    "validator.swagger.io",
    "github.com",
    "fb.me",
    "reactjs.org",
    "redux.js.org",
    "vladimirgorej.com",
    "example.com",
    "base",  # `https://base…`: a dummy base for resolving relative URLs
    # Swagger UI's URL sanitiser names social sites it recognises.
    "twitter.com",
    "www.facebook.com",
    "instagram.com",
    "www.tiktok.com",
    "soundcloud.com",
}
URL = re.compile(r"https?://([A-Za-z0-9.-]+)")


@pytest.fixture(scope="module")
def built() -> Path:
    """web/dist as `make web` builds it (npm ci from the lock file, then esbuild; a no-op when up to date)."""
    result = subprocess.run(["make", "-s", "web"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"make web failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return REPO / "web" / "dist"


@pytest.mark.slow
def test_the_built_pages_load_nothing_from_another_origin(built):
    for page in ("index.html", "docs.html"):
        html = (built / page).read_text()
        assert not URL.search(html), f"{page} names an outside URL"
        assert "<script>" not in html and "style=" not in html, f"{page} has inline script or style"
        loaded = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
        assert loaded and all(r.startswith("/assets/") and (built / r.lstrip("/")).is_file() for r in loaded), loaded
        links = re.findall(r'<a\b[^>]*\bhref="([^"]+)"', html)
        assert all(link.startswith(("/", "#")) for link in links), links
    app_script = re.search(r'src="/assets/([^"]+)"', (built / "index.html").read_text()).group(1)
    assert not URL.search((built / "assets" / app_script).read_text()), "the dashboard's own code names a URL"
    for css in built.glob("assets/*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text()), f"{css.name} loads from elsewhere"
    named = {host for js in built.glob("assets/*.js") for host in URL.findall(js.read_text())}
    assert named <= INERT_HOSTS, f"the bundle names hosts nobody has looked at: {sorted(named - INERT_HOSTS)}"


@pytest.mark.slow
def test_the_built_page_is_served_by_the_router(built):
    c = client(LOCAL, built, Minter())
    page = c.get("/")
    assert page.status_code == 200
    for ref in re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.text):
        asset = c.get(ref)
        assert asset.status_code == 200 and csp(asset)["script-src"] == "'self'", ref
