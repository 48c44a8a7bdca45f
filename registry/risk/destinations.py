"""Where a webhook may point: http(s) URLs whose host resolves to public addresses only.

The API registers URLs on behalf of any key holder and the delivery worker POSTs to them
from inside the operator's network, so a URL resolving to loopback, private, link-local,
shared, multicast or otherwise non-global addresses would make the registry a way in
(the cloud metadata service at 169.254.169.254, a database on 10.0.0.5). Such URLs are
refused when registered *and* when delivered to (DNS can change in between), and the
delivery connects to the very address that was checked (:meth:`Destination.pinned`), so a
second lookup cannot swap it; redirects are not followed (a 3xx is a failed attempt, retried
later). ``allow_private`` (the setting ``REGISTRY_WEBHOOK_PRIVATE_URLS``) lifts the rule, for
local receivers in a demo or a test.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from registry.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(host, port) -> addresses``; :func:`system_resolver` unless a test gives another.
Resolver = Callable[[str, int], list[str]]
PRIVATE_URLS_SETTING = "REGISTRY_WEBHOOK_PRIVATE_URLS"


class ForbiddenDestination(InvalidInput):
    """A webhook URL the registry will not call: its host resolves to a non-public address,
    or does not resolve at all (so it cannot be checked)."""

    code = "forbidden_destination"
    status = 403


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the operating system's resolver)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ForbiddenDestination(
            f"webhook host {host!r} does not resolve ({exc}), so it cannot be checked: refused",
            host=host,
        ) from None
    return sorted({str(info[4][0]) for info in infos})


def is_public(ip: IpAddress) -> bool:
    """Whether ``ip`` is a global unicast address (an IPv4-mapped IPv6 address as its IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Destination:
    """A checked webhook URL and the address a delivery connects to."""

    url: str
    host: str  # as written in the URL (no brackets)
    port: int
    address: str  # the checked address to connect to

    def pinned(self) -> tuple[str, dict[str, str], dict[str, str]]:
        """``(url, headers, extensions)`` of a request to :attr:`address` that still names
        the host (``Host`` header; TLS server name and certificate check for https)."""
        parts = urlsplit(self.url)
        ip = ipaddress.ip_address(self.address)
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rpartition("@")[2]  # without any user:password@
        extensions = {"sni_hostname": self.host} if parts.scheme.lower() == "https" else {}
        return url, {"Host": host_header}, extensions


def parse_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL, or :class:`InvalidInput`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{url!r} is not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http(s) URL")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def check_destination(
    url: str, *, allow_private: bool = False, resolve: Resolver = system_resolver
) -> Destination:
    """The :class:`Destination` of ``url``; :class:`ForbiddenDestination` if any address its
    host resolves to is not public (unless ``allow_private``)."""
    _, host, port = parse_url(url)
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal: nothing to resolve
    except ValueError:
        addresses = resolve(host, port)
    if not addresses:
        raise ForbiddenDestination(f"webhook host {host!r} resolves to nothing: refused", host=host)
    if not allow_private:
        bad = [a for a in addresses if not is_public(ipaddress.ip_address(a))]
        if bad:
            raise ForbiddenDestination(
                f"webhook URL {url} resolves to {', '.join(bad)}, not a public address "
                f"(loopback, private, link-local or reserved): refused; {PRIVATE_URLS_SETTING}"
                "=true allows such URLs, for local receivers only",
                url=url,
                addresses=bad,
            )
    return Destination(url, host, port, addresses[0])
