"""Who is on the other end: the client IP (behind trusted proxies only) and country."""

from ipaddress import ip_address, ip_network

from starlette.requests import Request


class ClientResolver:
    def __init__(self, trusted_proxies: list[str]) -> None:
        self._trusted = [ip_network(net, strict=False) for net in trusted_proxies]

    def _is_trusted(self, address: str) -> bool:
        if not self._trusted:  # no proxy in front: nothing to parse the address for
            return False
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._trusted)

    def ip(self, request: Request) -> str:
        """The peer, or, when the peer is a trusted proxy, the nearest untrusted hop it names."""
        peer = request.client.host if request.client else "0.0.0.0"
        if not self._is_trusted(peer):
            return peer
        hops = [
            h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()
        ]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop if _valid_ip(hop) else peer
        return hops[0] if hops and _valid_ip(hops[0]) else peer

    def country(self, request: Request) -> str | None:
        """`CF-IPCountry` as sent by a trusted proxy; anyone else could forge it."""
        peer = request.client.host if request.client else ""
        if not self._is_trusted(peer):
            return None
        code = request.headers.get("cf-ipcountry", "").strip().upper()
        return code if len(code) == 2 and code.isalpha() and code not in ("XX", "T1") else None


def _valid_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True
