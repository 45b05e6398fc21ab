"""The webhook worker's HTTP client: POST a body, read a capped answer, keep the
connection for the next delivery to the same receiver.

HTTP/1.1 itself (writing the request, reading the status line, headers, lengths, chunks,
bodies that run to the close, whether a connection may be reused) is h11's, driven over
asyncio streams. The connections are ours, not httpx's: a delivery to a fast receiver cost
about 2 ms of CPU in httpx (its pool looks over every kept connection on each request,
through several layers), most of a worker's time.

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

import h11
import httpx

from waitline.webhooks import ssrf

# Kept connections per receiver (scheme, host, port); more are closed once answered.
MAX_IDLE_PER_ORIGIN = 16
# The status line and headers of an answer, at most.
MAX_HEAD_BYTES = 64 * 1024
# Bytes asked of the socket at a time.
READ_BYTES = 64 * 1024


class AddressRefused(OSError):
    """The receiver's name resolved, when connecting, only to addresses the rules refuse."""


class ProtocolError(OSError):
    """The answer is not HTTP/1.1 this client can read, or broke off."""


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
        self.protocol = h11.Connection(
            our_role=h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES
        )

    @property
    def usable(self) -> bool:
        # A receiver that closed an idle connection has sent EOF, seen here at no cost.
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()

    async def next_event(self) -> h11.Event:
        """The next event of the answer, reading from the socket as h11 needs."""
        while (event := self.protocol.next_event()) is h11.NEED_DATA:
            data = await self.reader.read(READ_BYTES)
            if not data and self.protocol.their_state is h11.SEND_RESPONSE:
                raise ConnectionAbortedError("the connection closed before an answer")
            self.protocol.receive_data(data)
        return event


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
        request = h11.Request(
            method="POST",
            target=target.path,
            headers=[
                ("host", target.host_header),
                ("content-length", str(len(body))),
                *headers.items(),
            ],
        )
        connection = self._take_idle(origin)
        if connection is not None:
            try:
                return await self._exchange(origin, connection, request, body, max_body)
            except _StaleConnection:
                pass  # closed by the receiver as we sent: nothing was answered, go anew
        connection = await self._connect(target)
        try:
            return await self._exchange(origin, connection, request, body, max_body)
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
        self,
        origin: tuple[bool, str, int],
        connection: Connection,
        request: h11.Request,
        body: bytes,
        cap: int,
    ) -> Answer:
        protocol = connection.protocol
        answered = False
        try:
            connection.writer.write(
                protocol.send(request)
                + protocol.send(h11.Data(data=body))
                + protocol.send(h11.EndOfMessage())
            )
            await connection.writer.drain()
            event = await connection.next_event()
            while isinstance(event, h11.InformationalResponse):  # "100 Continue", then more
                event = await connection.next_event()
            answered = True
            answer = await _read_answer(connection, event, cap)
        except ConnectionError as exc:
            connection.close()
            if not answered:
                raise _StaleConnection() from exc
            raise ProtocolError(f"the answer broke off: {exc}") from exc
        except h11.RemoteProtocolError as exc:
            connection.close()
            raise ProtocolError(f"the answer is not HTTP/1.1 this client can read: {exc}") from exc
        except BaseException:
            connection.close()
            raise
        idle = self._idle.setdefault(origin, [])
        # h11 says when a connection may carry another request: both messages whole, no
        # "connection: close", a body that did not run to the close.
        reusable = protocol.our_state is h11.DONE and protocol.their_state is h11.DONE
        if reusable and len(idle) < MAX_IDLE_PER_ORIGIN:
            protocol.start_next_cycle()
            idle.append(connection)
        else:
            connection.close()
        return answer


class _StaleConnection(Exception):
    pass


async def _read_answer(connection: Connection, response: h11.Response, cap: int) -> Answer:
    """The answer, with at most `cap` bytes of its body. Reading stops past the cap, which
    leaves the answer unfinished and so the connection not reusable."""
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in response.headers}
    body = bytearray()
    while len(body) <= cap:
        event = await connection.next_event()
        if not isinstance(event, h11.Data):
            break  # EndOfMessage
        body.extend(event.data)
    return Answer(response.status_code, headers, bytes(body[:cap]))
