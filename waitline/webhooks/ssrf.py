"""Where a webhook may be sent: https only, no credentials in the URL, and never to an
address inside the server's own networks (loopback, private, link-local, CGNAT, ...).

The rules are checked when an endpoint is saved and again before every delivery, with
every address the name resolves to. The delivery itself goes through webhooks.http,
which checks the address it is about to connect to and connects to that very address,
so a name that resolves elsewhere a moment later (DNS rebinding) gets nowhere.
`settings.webhook_allow_private` lifts the rules, for development and tests.
"""

import socket
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import anyio
import httpx

MAX_URL_LENGTH = 2000
CGNAT = ip_network("100.64.0.0/10")
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (RFC 6052 NAT64).
NAT64 = ip_network("64:ff9b::/96")

IPAddress = IPv4Address | IPv6Address


class UrlRefused(ValueError):
    """A webhook URL the rules do not allow; the message says why, for a person."""


def refusal_for_address(address: IPAddress) -> str | None:
    """Why a webhook may not go to `address`, or None when it may."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = refusal_for_address(embedded)
            return f"an IPv6 form of {embedded}, {reason}" if reason else None
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, IPv4Address) and address in CGNAT:
        return "a carrier-grade NAT (100.64.0.0/10) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "an address that is not publicly reachable"
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return IPv4Address(address.packed[-4:])
    return None


def parse_target(url: str, *, allow_private: bool) -> httpx.URL:
    """The URL as httpx will send to it, if its form is allowed (scheme, credentials,
    host); the addresses are checked separately."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UrlRefused("is not a valid URL") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in schemes:
        raise UrlRefused("must be an https:// URL")
    if parsed.userinfo:
        raise UrlRefused("must not carry a user name or password")
    if not parsed.host:
        raise UrlRefused("must name a host")
    return parsed


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse (UrlRefused) a URL whose form is not allowed or whose host resolves to any
    address that is not public. Blocks while the name is resolved."""
    target = parse_target(url, allow_private=allow_private)
    if allow_private:
        return
    _check_addresses(target.host, _resolve(target))


async def check_url_async(url: str, *, allow_private: bool) -> None:
    """`check_url` for the event loop: the name is resolved without blocking it."""
    target = parse_target(url, allow_private=allow_private)
    if allow_private:
        return
    literal = _literal(target.host)
    if literal is not None:
        _check_addresses(target.host, [literal])
        return
    try:
        found = await anyio.getaddrinfo(target.host, _port(target), type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlRefused(f"has a host that could not be resolved: {target.host}") from exc
    _check_addresses(target.host, [ip_address(info[4][0]) for info in found])


def _resolve(target: httpx.URL) -> list[IPAddress]:
    literal = _literal(target.host)
    if literal is not None:
        return [literal]
    try:
        found = socket.getaddrinfo(target.host, _port(target), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"has a host that could not be resolved: {target.host}") from exc
    return [ip_address(info[4][0]) for info in found]


def _literal(host: str) -> IPAddress | None:
    try:
        return ip_address(host)
    except ValueError:
        return None


def _port(target: httpx.URL) -> int:
    return target.port or (443 if target.scheme == "https" else 80)


def _check_addresses(host: str, addresses: list[IPAddress]) -> None:
    if not addresses:
        raise UrlRefused(f"has a host that could not be resolved: {host}")
    for address in addresses:
        reason = refusal_for_address(address)
        if reason is None:
            continue
        if _literal(host) is not None:
            raise UrlRefused(
                f"must not point at {host}: {reason}; webhooks go to public addresses only"
            )
        raise UrlRefused(
            f"has a host ({host}) that resolves to {address}: {reason}; "
            "webhooks go to public addresses only"
        )
