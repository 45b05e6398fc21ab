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


async def send(target: SmtpTarget, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; raises aiosmtplib.SMTPException on refusal."""
    await aiosmtplib.send(
        message,
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=target.start_tls,
        timeout=TIMEOUT_SECONDS,
    )
