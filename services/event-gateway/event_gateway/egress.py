"""Where webhooks may go: public addresses only, unless the operator allows a network.

A subscriber chooses the URL, so without a guard the gateway would POST wherever it is told: to the cloud metadata
endpoint, to the database, to the platform's own services. Every address a webhook host resolves to must be public
(``is_global``) or inside a network of ``ARRAKIS_WEBHOOK_ALLOWED_NETWORKS``. The check happens at delivery time,
on the addresses the request then really uses: the request goes to the checked address (the URL's host stays in the
``Host`` header and in TLS SNI, so certificates are still verified against it), so a DNS answer that changes between
the check and the connection cannot redirect it. Subscriptions naming a blocked IP literal or ``localhost`` are refused
when they are created or changed, so the mistake shows at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ALLOW_HINT = ("webhooks go to public addresses only (an operator may allow a network with "
              "ARRAKIS_WEBHOOK_ALLOWED_NETWORKS)")


class BlockedDestination(ValueError):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


@dataclass(frozen=True)
class Destination:
    """A request target pinned to a checked address."""

    url: str
    host_header: str
    extensions: dict[str, Any] = field(default_factory=dict)


def _kind(address: Address) -> str:
    for attribute, name in (("is_loopback", "loopback"), ("is_link_local", "link-local"),
                            ("is_unspecified", "unspecified"), ("is_multicast", "multicast"),
                            ("is_reserved", "reserved"), ("is_private", "private")):
        if getattr(address, attribute):
            return name
    return "non-public"


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215's local-use NAT64 prefix: a translator of the operator's own, never globally reachable (older Pythons
# count it as global, so it is refused by name; where it embeds the IPv4 address depends on the operator's prefix).
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """Every IPv4 address an IPv6 address carries, by the form that carries it: IPv4-mapped, IPv4-compatible,
    NAT64 (the well-known prefix), 6to4 and Teredo (server and client). A router or a translator on the
    path turns each of them into a connection to that IPv4 address."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        found.append(("IPv4-mapped", address.ipv4_mapped))
    if int(address) >> 32 == 0 and int(address) > 1:
        found.append(("IPv4-compatible", ipaddress.IPv4Address(int(address))))
    if address in NAT64:
        found.append(("NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    if address.sixtofour is not None:
        found.append(("6to4", address.sixtofour))
    if address.teredo is not None:
        found += [("Teredo", inner) for inner in address.teredo]
    return found


def refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why ``address`` may not receive webhooks ("a loopback address"), or None when it may."""
    if any(address in network for network in allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        for form, inner in embedded_ipv4(address):
            reason = refusal(inner, allowed)
            if reason:
                article = "an" if form[0] in "AEIOU" else "a"
                return reason if form == "IPv4-mapped" else f"{article} {form} form of {inner}, {reason}"
        if address.ipv4_mapped is not None:
            return None
        if address in NAT64_LOCAL:
            return "a local-use NAT64 address"
    if address.is_global:
        return None
    kind = _kind(address)
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"


def check_literal(url: str, allowed: Sequence[Network]) -> None:
    """Refuse at once a URL whose host is a blocked IP literal or a name for this machine (``localhost``)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        if refusal(ipaddress.ip_address("127.0.0.1"), allowed):
            raise BlockedDestination(f"{host} is this machine; {ALLOW_HINT}")
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked on the addresses it resolves to, at delivery time
    reason = refusal(address, allowed)
    if reason:
        raise BlockedDestination(f"{address} is {reason}; {ALLOW_HINT}")


async def pin(url: str, allowed: Sequence[Network]) -> list[Destination]:
    """Resolve the URL's host and check every address; one target per address, in the resolver's order (a sender
    tries the next when one does not connect, as a client connecting by name would)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedDestination(f"cannot resolve {host}: {exc.strerror}") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for address in addresses:
        reason = refusal(address, allowed)
        if reason:
            raise BlockedDestination(f"{host} resolves to {address}, {reason}; {ALLOW_HINT}")
    if not addresses:
        raise BlockedDestination(f"cannot resolve {host}: no addresses")
    userinfo = parts.netloc.rpartition("@")[0]
    suffix = f":{parts.port}" if parts.port else ""
    host_header = f"[{host}]{suffix}" if ":" in host else f"{host}{suffix}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    targets = []
    for address in addresses:
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{userinfo}@{literal}{suffix}" if userinfo else f"{literal}{suffix}"
        targets.append(Destination(urlunsplit(parts._replace(netloc=netloc)), host_header, extensions))
    return targets
