"""Where webhooks may go: https to public addresses; loopback http only while the development issuer is on."""

from __future__ import annotations

import pytest

from shared.adapters.webhooks.guard import AddressGuard, Refused


def resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve


DNS = {
    "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "localhost": ["127.0.0.1", "::1"],
    "internal.example.com": ["10.1.2.3"],
    "metadata.example.com": ["169.254.169.254"],
    "wire.example.com": ["168.63.129.16"],
    "cgnat.example.com": ["100.64.0.7"],
    "mixed.example.com": ["93.184.215.14", "192.168.1.10"],  # one bad address is enough to refuse
    "mapped.example.com": ["::ffff:10.0.0.1"],
    "ula.example.com": ["fd00::1"],
    "linklocal6.example.com": ["fe80::1"],
    "multicast.example.com": ["239.1.1.1"],
    "reserved.example.com": ["240.0.0.1"],
    "zero.example.com": ["0.0.0.0"],
    "nat64.example.com": ["64:ff9b::a9fe:a9fe"],  # 169.254.169.254 behind NAT64
    "loop.example.com": ["127.0.0.1"],
}
azure = AddressGuard(allow_loopback=False, resolver=resolver(DNS))
local = AddressGuard(allow_loopback=True, resolver=resolver(DNS))


def test_https_to_a_public_host_is_allowed_with_every_address_it_resolves_to():
    target = azure.check("https://hooks.example.com/in?x=1")
    assert (target.host, target.port, target.path, target.query) == ("hooks.example.com", 443, "/in", "x=1")
    assert [str(a) for a in target.addresses] == DNS["hooks.example.com"]
    assert target.host_header == "hooks.example.com"


@pytest.mark.parametrize(
    "host",
    [
        "internal.example.com",
        "metadata.example.com",
        "wire.example.com",
        "cgnat.example.com",
        "mixed.example.com",
        "mapped.example.com",
        "ula.example.com",
        "linklocal6.example.com",
        "multicast.example.com",
        "reserved.example.com",
        "zero.example.com",
        "nat64.example.com",
        "loop.example.com",
    ],
)
def test_a_host_resolving_to_any_non_public_address_is_refused_naming_it(host):
    with pytest.raises(Refused, match=f"host {host} resolves to .*public addresses"):
        azure.check(f"https://{host}/hook")


@pytest.mark.parametrize("url", ["https://10.0.0.5/x", "https://[::1]/x", "https://169.254.169.254/latest"])
def test_address_literals_are_judged_the_same_way(url):
    literal = AddressGuard(allow_loopback=False, resolver=lambda host, port: [host])
    with pytest.raises(Refused, match="public addresses"):
        literal.check(url)


def test_loopback_http_is_refused_in_azure_and_allowed_while_developing():
    with pytest.raises(Refused, match="must use https"):
        azure.check("http://localhost:8080/hook")
    with pytest.raises(Refused, match="public addresses"):
        azure.check("https://localhost:8443/hook")
    target = local.check("http://localhost:8080/hook")
    assert target.host_header == "localhost:8080"


def test_while_developing_plain_http_still_only_reaches_loopback_and_private_hosts_stay_refused():
    with pytest.raises(Refused, match="plain http only to a loopback address"):
        local.check("http://hooks.example.com/hook")
    with pytest.raises(Refused, match="public addresses"):
        local.check("https://internal.example.com/hook")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/x", "absolute https"),
        ("hooks.example.com/x", "absolute https"),
        ("https:///x", "absolute https"),
        ("https://user:pw@hooks.example.com/x", "user name or password"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https://nowhere.example.com/x", "does not resolve"),
    ],
)
def test_malformed_or_unresolvable_urls_are_refused_saying_why(url, reason):
    with pytest.raises(Refused, match=reason):
        azure.check(url)
