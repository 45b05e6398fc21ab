"""Sending mail over SMTP (aiosmtplib), configured by one URL."""

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool

    @classmethod
    def from_url(cls, url: str) -> "SmtpTarget":
        """`smtp://user:pass@host:587?starttls=true` or `smtps://user:pass@host:465`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL looks like smtp://user:pass@host:587?starttls=true")
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        secure = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if secure else 587 if starttls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=secure,
            start_tls=starttls and not secure,
        )


class SmtpConnections:
    """Connections to the SMTP server kept for one batch of the mail job: a message goes
    over an idle one, or a new one (connect, TLS, login), so a batch costs a handful of
    connections rather than one per message. A connection that failed in any way is
    dropped, never reused."""

    def __init__(self, target: SmtpTarget) -> None:
        self._target = target
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; raises aiosmtplib.SMTPException on refusal."""
        while self._idle:
            client = self._idle.pop()
            if not client.is_connected:
                client.close()
                continue
            try:
                await client.send_message(message)
            except aiosmtplib.SMTPServerDisconnected:
                client.close()  # closed by the server while idle: go again on a new one
                break
            except BaseException:
                client.close()
                raise
            self._idle.append(client)
            return
        client = aiosmtplib.SMTP(
            hostname=self._target.host,
            port=self._target.port,
            username=self._target.username,
            password=self._target.password,
            use_tls=self._target.use_tls,
            start_tls=self._target.start_tls,
            timeout=TIMEOUT_SECONDS,
        )
        try:
            await client.connect()
            await client.send_message(message)
        except BaseException:
            client.close()
            raise
        self._idle.append(client)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
