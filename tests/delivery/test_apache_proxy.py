"""infra/apache loaded by a real apache2 on loopback, in front of stand-in GitLab and Jenkins."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GITLAB = "gitlab.budget.test"
JENKINS = "jenkins.budget.test"
MODULES = (
    "mpm_event",
    "authz_core",
    "alias",
    "rewrite",
    "headers",
    "socache_shmcb",
    "ssl",
    "proxy",
    "proxy_http",
)
ACME_TOKEN = "acme-token-for-the-test"
Reply = tuple[http.client.HTTPResponse, bytes]


@dataclass
class Proxy:
    http_port: int
    https_port: int
    ca_file: Path
    seen: dict[str, list[dict]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _self_signed(cert_root: Path) -> Path:
    """One key and certificate for both names, laid out the way certbot does."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, GITLAB)])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName(GITLAB), x509.DNSName(JENKINS)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for host in (GITLAB, JENKINS):
        (cert_root / host).mkdir(parents=True)
        (cert_root / host / "fullchain.pem").write_bytes(pem)
        (cert_root / host / "privkey.pem").write_bytes(key_pem)
    (cert_root / "ca.pem").write_bytes(pem)
    return cert_root / "ca.pem"


def _backend(name: str, seen: list[dict]) -> ThreadingHTTPServer:
    """A stand-in GitLab/Jenkins that records what reached it and echoes it back."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record = {"backend": name, "path": self.path, "headers": dict(self.headers)}
            seen.append(record)
            body = json.dumps(record).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            """Silent: the tests read the requests it records, not its log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _httpd_conf(repo: Path, work: Path, webroot: Path, ports: dict[str, int]) -> str:
    defines = {
        "BUDGET_APACHE_DIR": repo / "infra" / "apache",
        "LISTEN_HTTP": f"127.0.0.1:{ports['http']}",
        "LISTEN_HTTPS": f"127.0.0.1:{ports['https']}",
        "HTTP_PORT": ports["http"],
        "HTTPS_PORT": ports["https"],
        "GITLAB_HOST": GITLAB,
        "JENKINS_HOST": JENKINS,
        "GITLAB_URL": f"https://{GITLAB}:{ports['https']}",
        "JENKINS_URL": f"https://{JENKINS}:{ports['https']}",
        "CERT_ROOT": work / "certs",
        "ACME_ROOT": webroot,
        "GITLAB_BACKEND": f"http://127.0.0.1:{ports['gitlab']}",
        "JENKINS_BACKEND": f"http://127.0.0.1:{ports['jenkins']}",
    }
    lines = [f"Define {key} {value}" for key, value in defines.items()]
    modules = "/usr/lib/apache2/modules"
    lines += [f"LoadModule {m}_module {modules}/mod_{m}.so" for m in MODULES]
    lines += [
        f"ServerRoot {work}",
        "ServerName 127.0.0.1",
        f"PidFile {work}/httpd.pid",
        f"DefaultRuntimeDir {work}",
        f"ErrorLog {work}/error.log",
        "LogLevel warn",
        f"SSLSessionCache shmcb:{work}/ssl_scache(512000)",
    ]
    if os.geteuid() == 0:
        # Apache refuses to serve as root; the children drop to the Debian web user.
        user = "www-data" if _has_user("www-data") else "nobody"
        lines += [f"User {user}", f"Group #{pwd.getpwnam(user).pw_gid}"]
    lines.append(f"Include {repo}/infra/apache/site.conf")
    return "\n".join(lines) + "\n"


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_listening(process: subprocess.Popen, ports: list[int], log: Path) -> None:
    deadline = time.monotonic() + 30
    pending = list(ports)
    while pending:
        if process.poll() is not None or time.monotonic() > deadline:
            error_log = log.read_text() if log.exists() else ""
            pytest.fail(f"apache2 did not start (rc={process.poll()}):\n{error_log}")
        try:
            socket.create_connection(("127.0.0.1", pending[0]), timeout=1).close()
            pending.pop(0)
        except OSError:
            time.sleep(0.05)


@pytest.fixture(scope="module")
def proxy(repo, tmp_path_factory) -> Iterator[Proxy]:
    apache2 = shutil.which("apache2", path="/usr/sbin:/usr/bin")
    if apache2 is None:
        pytest.fail("apache2 is missing; run `make delivery-deps` first", pytrace=False)
    work = tmp_path_factory.mktemp("apache")
    ca_file = _self_signed(work / "certs")
    # The webroot must be readable by the unprivileged children, unlike pytest's 0700 tmp dirs.
    webroot = Path(tempfile.mkdtemp(prefix="acme-"))
    challenge = webroot / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / ACME_TOKEN).write_text("token.thumbprint")
    for path in (webroot, webroot / ".well-known", challenge):
        path.chmod(0o755)
    (challenge / ACME_TOKEN).chmod(0o644)

    seen: dict[str, list[dict]] = {"gitlab": [], "jenkins": []}
    backends = {name: _backend(name, records) for name, records in seen.items()}
    ports = {name: server.server_address[1] for name, server in backends.items()}
    ports.update(http=_free_port(), https=_free_port())
    conf = work / "httpd.conf"
    conf.write_text(_httpd_conf(repo, work, webroot, ports))

    syntax = subprocess.run(
        [apache2, "-t", "-f", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert syntax.returncode == 0, syntax.stderr
    process = subprocess.Popen([apache2, "-f", str(conf), "-DFOREGROUND"])
    try:
        _wait_listening(process, [ports["http"], ports["https"]], work / "error.log")
        yield Proxy(ports["http"], ports["https"], ca_file, seen)
    finally:
        process.terminate()
        process.wait(timeout=30)
        for server in backends.values():
            server.shutdown()
            server.server_close()
        shutil.rmtree(webroot, ignore_errors=True)


class _SniConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 that still sends and verifies the public name (SNI + certificate)."""

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def _tls_context(proxy: Proxy, **versions: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(proxy.ca_file))
    for attribute, version in versions.items():
        setattr(context, attribute, version)
    return context


def _https_get(proxy: Proxy, host: str, path: str) -> Reply:
    context = _tls_context(proxy)
    connection = _SniConnection(host, proxy.https_port, context=context, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def _http_get(proxy: Proxy, host: str, path: str) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.mark.parametrize("host", [GITLAB, JENKINS])
def test_plain_http_redirects_to_https_keeping_path_and_query(proxy, host):
    response, _ = _http_get(proxy, host, "/some/page?tab=1")
    assert response.status == 301
    expected = f"https://{host}:{proxy.https_port}/some/page?tab=1"
    assert response.getheader("Location") == expected


@pytest.mark.parametrize("host", [GITLAB, JENKINS])
def test_acme_challenge_is_served_over_plain_http(proxy, host):
    response, body = _http_get(proxy, host, f"/.well-known/acme-challenge/{ACME_TOKEN}")
    assert response.status == 200
    assert body == b"token.thumbprint"


@pytest.mark.parametrize("host", [GITLAB, JENKINS])
def test_https_sends_hsts(proxy, host):
    response, _ = _https_get(proxy, host, "/")
    assert response.status == 200
    hsts = response.getheader("Strict-Transport-Security")
    assert hsts is not None and "max-age=63072000" in hsts


@pytest.mark.parametrize(
    ("host", "backend"),
    [(GITLAB, "gitlab"), (JENKINS, "jenkins")],
)
def test_requests_reach_the_backend_with_forwarded_headers(proxy, host, backend):
    path = "/api/v4/projects/group%2Fproject?per_page=1"
    response, body = _https_get(proxy, host, path)
    assert response.status == 200
    record = json.loads(body)
    assert record["backend"] == backend
    # nocanon + AllowEncodedSlashes: the encoded slash GitLab's API relies on arrives intact.
    assert record["path"] == path
    headers = record["headers"]
    public = f"{host}:{proxy.https_port}"
    assert headers["Host"] == public
    assert headers["X-Forwarded-Proto"] == "https"
    assert headers["X-Forwarded-Host"] == public
    assert headers["X-Forwarded-Port"] == str(proxy.https_port)
    assert headers["X-Forwarded-For"] == "127.0.0.1"


def _handshake(proxy: Proxy, context: ssl.SSLContext) -> str | None:
    """Open a TLS connection to the proxy; the protocol version both sides agreed on."""
    address = ("127.0.0.1", proxy.https_port)
    with (
        socket.create_connection(address, timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=GITLAB) as tls,
    ):
        return tls.version()


def test_tls_1_1_is_refused(proxy):
    # The client is made able to speak TLS 1.1 (OpenSSL 3 hides it below security level 0) ...
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # deprecated is the point
        old = _tls_context(
            proxy,
            minimum_version=ssl.TLSVersion.TLSv1_1,
            maximum_version=ssl.TLSVersion.TLSv1_1,
        )
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError) as refused:
        _handshake(proxy, old)
    # ... so the failure is the server's answer, not the client giving up before it asked.
    assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value).upper()


def test_tls_1_2_is_accepted(proxy):
    context = _tls_context(
        proxy,
        minimum_version=ssl.TLSVersion.TLSv1_2,
        maximum_version=ssl.TLSVersion.TLSv1_2,
    )
    assert _handshake(proxy, context) == "TLSv1.2"


def test_jenkins_webhook_endpoint_is_closed_from_outside(proxy):
    before = len(proxy.seen["jenkins"])
    response, _ = _https_get(proxy, JENKINS, "/project/budget")
    assert response.status == 403
    assert len(proxy.seen["jenkins"]) == before
