"""The worker's HTTP/1.1 client (waitline.webhooks.http) against a raw server on
127.0.0.1 that answers exactly as told: lengths, chunks, answers that run to the close,
kept connections the receiver closes, and addresses the rules refuse at connect time."""

import asyncio

import pytest

from waitline.webhooks.delivery import _tls_context
from waitline.webhooks.http import AddressRefused, ProtocolError, WebhookClient


class RawServer:
    """Answers each request with the next of `answers` (raw bytes); `close_after` closes
    the connection once answered. Counts connections and requests."""

    def __init__(self, answers: list[bytes], close_after: bool = False) -> None:
        self.answers = answers
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                self.requests.append(head + await reader.readexactly(length))
                writer.write(self.answers.pop(0))
                await writer.drain()
                if self.close_after:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()


def post_all(server: RawServer, count: int, *, cap: int = 64 * 1024, allow_private=True):
    async def run():
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        client = WebhookClient(allow_private=allow_private, tls=_tls_context())
        try:
            answers = []
            for n in range(count):
                body = b'{"n": %d}' % n
                answers.append(
                    await client.post(
                        f"http://127.0.0.1:{port}/hook?x=1", body, {"webhook-id": "m"}, max_body=cap
                    )
                )
                await asyncio.sleep(0.05)  # a close by the server arrives meanwhile
            return answers
        finally:
            await client.aclose()
            listener.close()

    return asyncio.run(run())


def test_answers_with_a_length_are_read_and_the_connection_kept():
    server = RawServer([b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"] * 3)
    answers = post_all(server, 3)
    assert [(a.status, a.body) for a in answers] == [(200, b"ok")] * 3
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /hook?x=1 HTTP/1.1\r\n")
    assert b"\r\nwebhook-id: m\r\n" in first
    assert first.endswith(b'\r\n\r\n{"n": 0}')


def test_a_chunked_answer_is_read_whole():
    chunked = b"HTTP/1.1 503 Busy\r\ntransfer-encoding: chunked\r\nretry-after: 7\r\n\r\n"
    chunked += b"4\r\nbusy\r\n7;x=y\r\n, later\r\n0\r\n\r\n"
    server = RawServer([chunked, b"HTTP/1.1 204 No Content\r\n\r\n"])
    busy, done = post_all(server, 2)
    assert (busy.status, busy.body, busy.headers["retry-after"]) == (503, b"busy, later", "7")
    assert (done.status, done.body) == (204, b"")
    assert server.connections == 1


def test_an_answer_without_a_length_runs_to_the_close():
    server = RawServer([b"HTTP/1.1 200 OK\r\n\r\nall of it", b"HTTP/1.1 200 OK\r\n\r\nnext"], True)
    answers = post_all(server, 2)
    assert [a.body for a in answers] == [b"all of it", b"next"]
    assert server.connections == 2


def test_a_kept_connection_the_receiver_closed_is_not_reused():
    server = RawServer([b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n1"] * 2, close_after=True)
    answers = post_all(server, 2)
    assert [a.body for a in answers] == [b"1", b"1"]
    assert len(server.requests) == 2
    assert server.connections == 2


def test_an_answer_asking_to_close_is_not_followed_on_its_connection():
    closing = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
    server = RawServer([closing, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"])
    answers = post_all(server, 2)
    assert [a.body for a in answers] == [b"ok", b"ok"]
    assert server.connections == 2


def test_an_answer_that_is_not_http_is_a_protocol_error():
    server = RawServer([b"SMTP ready\r\n\r\n"])
    with pytest.raises(ProtocolError, match=r"not HTTP/1\.1"):
        post_all(server, 1)


def test_only_the_cap_of_a_long_answer_is_read_and_the_connection_dropped():
    long = b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + b"x" * 100_000
    server = RawServer([long, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"])
    first, second = post_all(server, 2, cap=1000)
    assert first.body == b"x" * 1000
    assert second.body == b"ok"
    assert server.connections == 2


def test_the_connection_goes_only_to_an_address_the_rules_allow():
    server = RawServer([b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"])
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1 is a loopback address"):
        post_all(server, 1, allow_private=False)
    assert server.connections == 0
