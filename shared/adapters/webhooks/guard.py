"""Where a webhook may be sent: https to public addresses only; loopback http too while developing.

Checked at registration and again at every delivery, since DNS can change: the sender connects to the very
address vetted here (see sender.py), so a name that re-resolves to an internal host in between gets nowhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

# Beyond what `is_global` already excludes (and because its answers moved between Python patch releases):
# Azure's wire server (168.63.129.16, public by number, reachable from every Azure host), CGNAT, link-local and
# the special-purpose blocks, spelled out.
_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "168.63.129.16/32",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/3",  # multicast and the reserved 240/4 above it
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """The URL may not receive webhooks; `reason` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect (`addresses`, all allowed) and what to call the host (SNI, Host)."""

    scheme: str
    host: str
    port: int
    path: str
    query: str
    addresses: tuple[IPAddress, ...]

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is where packets would really go."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    return address.is_global and not any(address in net for net in _BLOCKED if net.version == address.version)


def is_loopback(address: IPAddress) -> bool:
    inner = embedded_ipv4(address)
    return (inner or address).is_loopback


class AddressGuard:
    def __init__(self, *, allow_loopback: bool, resolver: Resolver = system_resolver) -> None:
        """`allow_loopback`: the development issuer is on (local runs and tests), so http to loopback is fine."""
        self.allow_loopback = allow_loopback
        self._resolve = resolver

    def check(self, url: str) -> Target:
        """The URL's target with every address it resolves to now, or Refused saying why."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Refused(f"is not a valid URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http") or not parts.hostname:
            raise Refused("must be an absolute https:// URL")
        if scheme == "http" and not self.allow_loopback:
            raise Refused("must use https")
        if parts.username is not None or parts.password is not None:
            raise Refused("must not carry a user name or password; the signature authenticates each delivery")
        host = parts.hostname
        port = port or (443 if scheme == "https" else 80)
        addresses = self._addresses(host, port)
        for address in addresses:
            if not (is_public(address) or (self.allow_loopback and is_loopback(address))):
                raise Refused(
                    f"host {host} resolves to {address}, a private, loopback, link-local or reserved address; "
                    "webhooks are only sent to public addresses"
                )
        if scheme == "http" and not all(is_loopback(a) for a in addresses):
            raise Refused("must use https (plain http only to a loopback address while developing)")
        return Target(scheme, host, port, parts.path or "/", parts.query, addresses)

    def _addresses(self, host: str, port: int) -> tuple[IPAddress, ...]:
        try:
            found = tuple(ipaddress.ip_address(a.split("%", 1)[0]) for a in self._resolve(host, port))
        except (OSError, UnicodeError, ValueError):
            found = ()
        if not found:
            raise Refused(f"host {host} does not resolve")
        return found
