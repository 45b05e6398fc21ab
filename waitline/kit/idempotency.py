"""`Idempotency-Key` on admin POSTs: replay the first answer, refuse a changed body or a race.

The answer kept for replay may hold what is shown once (a new API key, a webhook signing
secret) or a person's details: its body is stored sealed with the server's SecretBox
(app.state.secret_box) and opened only to replay it to the credential that made it."""

import hashlib
from collections.abc import Callable
from datetime import timedelta

import anyio
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waitline.db.models import IdempotencyRecord
from waitline.db.session import Database
from waitline.kit.clock import Clock
from waitline.kit.crypto import SecretBox
from waitline.kit.errors import problem_response
from waitline.kit.ids import new_id
from waitline.kit.middleware import replay_body

LIFETIME = timedelta(hours=24)
# No admin request runs this long; a claim still unanswered by then was abandoned.
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("content-type", "location")
# Given the Authorization header, the id of the credential it proves, or None.
CredentialOf = Callable[[str | None], str | None]


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Database,
        clock: Clock,
        credential_of: CredentialOf,
        path_prefix: str = "/v1/workspaces/",
    ) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self.credential_of = credential_of
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key = headers.get(b"idempotency-key")
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or key is None
            or not scope["path"].startswith(self.path_prefix)
        ):
            await self.app(scope, receive, send)
            return
        key_text = key.decode("latin-1").strip()
        if not 1 <= len(key_text) <= MAX_KEY_LENGTH:
            await _answer(
                scope,
                receive,
                send,
                422,
                "validation_error",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                errors={"Idempotency-Key": [f"must be 1 to {MAX_KEY_LENGTH} characters"]},
            )
            return
        authorization = headers.get(b"authorization", b"").decode("latin-1") or None
        credential_id = await anyio.to_thread.run_sync(self.credential_of, authorization)
        if credential_id is None:
            await self.app(scope, receive, send)  # the route answers 401 itself
            return

        body = await _read_body(receive)
        fingerprint = _fingerprint(scope, body)
        claim = await anyio.to_thread.run_sync(self._claim, credential_id, key_text, fingerprint)
        if isinstance(claim, IdempotencyRecord):
            await self._replay_or_refuse(claim, fingerprint, scope, receive, send)
            return

        status, response_headers, chunks = 500, [], []

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status, response_headers = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body(body, receive), capture)
        finally:
            await anyio.to_thread.run_sync(
                self._settle, claim, status, response_headers, b"".join(chunks), _box(scope)
            )

    def _claim(self, credential_id: str, key: str, fingerprint: str) -> str | IdempotencyRecord:
        """The new record's id if this request is first; else the record that was."""
        now = self.clock.now()
        for _ in range(3):
            try:
                with self.db.transaction() as session:
                    session.execute(
                        delete(IdempotencyRecord).where(
                            IdempotencyRecord.credential_id == credential_id,
                            IdempotencyRecord.key == key,
                            or_(
                                IdempotencyRecord.created_at < now - LIFETIME,
                                # A claim whose request never finished: its process died.
                                and_(
                                    IdempotencyRecord.response_status.is_(None),
                                    IdempotencyRecord.created_at < now - ABANDONED_AFTER,
                                ),
                            ),
                        )
                    )
                    record_id = new_id()
                    session.execute(
                        insert(IdempotencyRecord).values(
                            id=record_id,
                            credential_id=credential_id,
                            key=key,
                            request_hash=fingerprint,
                            created_at=now,
                        )
                    )
                return record_id
            except IntegrityError:
                with self.db.transaction(write=False) as session:
                    existing = session.scalar(
                        select(IdempotencyRecord).where(
                            IdempotencyRecord.credential_id == credential_id,
                            IdempotencyRecord.key == key,
                        )
                    )
                if existing is not None:
                    return existing
        raise RuntimeError("idempotency record vanished three times in a row")

    def _settle(
        self, record_id: str, status: int, headers: list, body: bytes, box: SecretBox
    ) -> None:
        """Keep the answer for replay, or forget the key if the request never got a real
        answer: the server failed, or a rate limit said "not now" (the retry it asks for
        must run, not replay the 429 for a day)."""
        with self.db.transaction() as session:
            if status >= 500 or status == 429:
                session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
                return
            kept = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in headers
                if name.decode("latin-1").lower() in REPLAYED_HEADERS
            }
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record_id)
                .values(
                    response_status=status, response_headers=kept, response_body=seal(box, body)
                )
            )

    async def _replay_or_refuse(
        self,
        record: IdempotencyRecord,
        fingerprint: str,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if record.request_hash != fingerprint:
            await _answer(
                scope,
                receive,
                send,
                422,
                "idempotency_mismatch",
                "This Idempotency-Key was used with a different request.",
            )
            return
        if record.response_status is None:
            await _answer(
                scope,
                receive,
                send,
                409,
                "idempotency_conflict",
                "A request with this Idempotency-Key is still in progress.",
            )
            return
        headers = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in record.response_headers.items()
        ]
        body = unseal(_box(scope), record.response_body or b"")
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append((b"idempotent-replayed", b"true"))
        await send(
            {"type": "http.response.start", "status": record.response_status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})


def _box(scope: Scope) -> SecretBox:
    return scope["app"].state.secret_box


def seal(box: SecretBox, body: bytes) -> bytes:
    # Latin-1 maps each byte to one character and back, so any body (JSON or not) survives.
    return box.seal(body.decode("latin-1")).encode()


def unseal(box: SecretBox, stored: bytes) -> bytes:
    if not stored:
        return stored
    try:
        return box.open(stored.decode("latin-1")).encode("latin-1")
    except ValueError:
        # Kept before answers were sealed (they live 24 hours): it is the answer itself.
        return stored


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body.extend(message.get("body", b""))
        if not message.get("more_body", False):
            return bytes(body)


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope["path"].encode(),
        scope.get("query_string", b""),
        body,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _answer(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    detail: str,
    errors: dict[str, list[str]] | None = None,
) -> None:
    # Request(scope) only lends the problem document the request id.
    response = problem_response(Request(scope), status, code, detail, errors)
    await response(scope, receive, send)
