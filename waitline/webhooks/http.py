"""The webhook worker's HTTP/1.1 client: POST a body, read a capped answer, keep the
connection for the next delivery to the same receiver.

Why not httpx: a delivery to a fast receiver cost about 2 ms of CPU in httpx (its pool
looks over every kept connection on each request, through several layers), most of a
worker's time; this does what a webhook needs in a fraction of that, on asyncio streams.

The SSRF rules hold at connect time: the receiver's name is resolved when a connection is
opened, and the connection goes only to an address the rules allow, the very address that
was checked (pinned), so a name that resolves elsewhere a moment later (DNS rebinding)
gets nowhere. A kept connection stays pinned to the address it was opened to.
"""

import asyncio
import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import ip_address

import httpx

from waitline.webhooks import ssrf

# Kept connections per receiver (scheme, host, port); more are closed once answered.
MAX_IDLE_PER_ORIGIN = 16
# The status line and headers of an answer, at most.
MAX_HEAD_BYTES = 64 * 1024


class AddressRefused(OSError):
    """The receiver's name resolved, when connecting, only to addresses the rules refuse."""


class ProtocolError(OSError):
    """The answer is not HTTP/1.1 this client can read."""


@dataclass(frozen=True)
class Target:
    https: bool
    host: str  # for DNS and TLS: IDNA-encoded, an IPv6 literal without brackets
    port: int
    host_header: str
    path: str  # with the query string


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes  # at most the cap asked for


@lru_cache(maxsize=1024)
def target_of(url: str) -> Target:
    parsed = httpx.URL(url)
    https = parsed.scheme == "https"
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if https else 80)
    shown = f"[{host}]" if ":" in host else host
    return Target(
        https=https,
        host=host,
        port=port,
        host_header=shown if parsed.port is None else f"{shown}:{port}",
        path=parsed.raw_path.decode("ascii") or "/",
    )


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @property
    def usable(self) -> bool:
        # A receiver that closed an idle connection has sent EOF, seen here at no cost.
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class WebhookClient:
    def __init__(self, *, allow_private: bool, tls: ssl.SSLContext) -> None:
        self._allow_private = allow_private
        self._tls = tls
        self._idle: dict[tuple[bool, str, int], list[Connection]] = {}

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], *, max_body: int
    ) -> Answer:
        """POST `body`; the answer with at most `max_body` bytes of its body. The caller
        bounds the time (cancelling closes the connection)."""
        target = target_of(url)
        origin = (target.https, target.host, target.port)
        request = _request(target, body, headers)
        connection = self._take_idle(origin)
        if connection is not None:
            try:
                return await self._exchange(origin, connection, request, max_body)
            except _StaleConnection:
                pass  # closed by the receiver as we sent: nothing was answered, go anew
        connection = await self._connect(target)
        try:
            return await self._exchange(origin, connection, request, max_body)
        except _StaleConnection as exc:
            raise ProtocolError("the receiver closed the connection without answering") from exc

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _take_idle(self, origin: tuple[bool, str, int]) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.usable:
                return connection
            connection.close()
        return None

    async def _connect(self, target: Target) -> Connection:
        address = await self._checked_address(target)
        reader, writer = await asyncio.open_connection(
            address,
            target.port,
            ssl=self._tls if target.https else None,
            server_hostname=target.host if target.https else None,
            limit=MAX_HEAD_BYTES,
        )
        return Connection(reader, writer)

    async def _checked_address(self, target: Target) -> str:
        """The address to connect to: one the name resolves to now that the rules allow."""
        loop = asyncio.get_running_loop()
        found = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        refusals = []
        for *_, sockaddr in found:
            address = ip_address(sockaddr[0])
            refusal = None if self._allow_private else ssrf.refusal_for_address(address)
            if refusal is None:
                return str(address)
            refusals.append(f"{address} is {refusal}")
        raise AddressRefused(
            f"{target.host} resolved, when connecting, to {', '.join(refusals)}; "
            "webhooks go to public addresses only"
        )

    async def _exchange(
        self, origin: tuple[bool, str, int], connection: Connection, request: bytes, cap: int
    ) -> Answer:
        answered = False
        try:
            connection.writer.write(request)
            await connection.writer.drain()
            head = await _read_head(connection.reader)
            answered = True
            answer, reusable = await _read_answer(connection.reader, head, cap)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            connection.close()
            if not answered:
                raise _StaleConnection() from exc
            raise ProtocolError(f"the answer broke off: {exc}") from exc
        except BaseException:
            connection.close()
            raise
        idle = self._idle.setdefault(origin, [])
        if reusable and len(idle) < MAX_IDLE_PER_ORIGIN:
            idle.append(connection)
        else:
            connection.close()
        return answer


class _StaleConnection(Exception):
    pass


def _request(target: Target, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {target.path} HTTP/1.1",
        f"host: {target.host_header}",
        f"content-length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError("the answer's headers are too long") from exc
    if not head.strip():
        raise asyncio.IncompleteReadError(head, None)
    return head


async def _read_answer(reader: asyncio.StreamReader, head: bytes, cap: int) -> tuple[Answer, bool]:
    """The answer (at most `cap` bytes of body) and whether the connection can be reused."""
    while True:
        status, version, headers = _parse_head(head)
        if status != 100:
            break
        head = await _read_head(reader)  # "100 Continue", then the real answer
    reusable = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if status in (204, 304) or 100 <= status < 200:
        return Answer(status, headers, b""), reusable
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, whole = await _read_chunked(reader, cap)
        return Answer(status, headers, body), reusable and whole
    length = headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise ProtocolError(f"a content-length of {length!r}")
        size = int(length)
        body = await reader.readexactly(min(size, cap))
        return Answer(status, headers, body), reusable and size <= cap
    # No length: the body runs to the end of the connection.
    return Answer(status, headers, await _read_to_end(reader, cap)), False


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP answer: {lines[0][:100]!r}")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), parts[0], headers


async def _read_chunked(reader: asyncio.StreamReader, cap: int) -> tuple[bytes, bool]:
    """The body, up to `cap` bytes, and whether it was read to its end."""
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise ProtocolError("a chunked answer with a bad chunk size") from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(body), True
        if len(body) + size > cap:
            body.extend(await reader.readexactly(cap - len(body)))
            return bytes(body), False
        body.extend(await reader.readexactly(size))
        await reader.readexactly(2)


async def _read_to_end(reader: asyncio.StreamReader, cap: int) -> bytes:
    body = bytearray()
    while len(body) < cap:
        chunk = await reader.read(cap - len(body))
        if not chunk:
            break
        body.extend(chunk)
    return bytes(body)
