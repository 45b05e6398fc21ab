"""Building the email a reader gets: headers, then the plain-text and HTML alternatives."""

import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from waitline.email.render import RenderedEmail

DEFAULT_SENDER_NAME = "Waitline"


class UnfoldedHeader(UnstructuredHeader):
    """A header written on one line as it is. Python folds a long one by turning it into
    RFC 2047 encoded words, and a mail client reading List-Unsubscribe would then find no
    URL in it; one line stays well inside SMTP's 998 characters."""

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


class ParsedHeaders(HeaderRegistry):
    """The standard library parses every header it is given, with its full RFC 5322
    parser, and makes a new class for each header it creates: composing a message took
    2.4 ms, most of it there. Most of a message's headers are the same as the last one's
    (its sender, its content types, often its subject and date), so parsed headers are
    kept by name and value (they are not changed once made), and each name's class is made
    once."""

    KEPT = 1024

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        self._parsed = lru_cache(maxsize=self.KEPT)(self._parse)

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._classes.get(key)
        if made is None:
            made = self._classes[key] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: str):
        return self._parsed(name, value) if isinstance(value, str) else self[name](name, value)

    def _parse(self, name: str, value: str):
        return self[name](name, value)

    def map_to_type(self, name: str, cls: type) -> None:
        super().map_to_type(name, cls)
        self._classes.pop(name.lower(), None)
        self._parsed.cache_clear()


@lru_cache(maxsize=ParsedHeaders.KEPT)
def _mailbox(display_name: str, address: str) -> str:
    """`Name <address>`, quoted as needed: as a string, so its parsed header is kept."""
    return str(Address(display_name, addr_spec=address))


_headers = ParsedHeaders()
_headers.map_to_type("list-unsubscribe", UnfoldedHeader)
# The header objects keep their class when aiosmtplib flattens with its own policy.
POLICY = email.policy.SMTP.clone(header_factory=_headers)


@dataclass(frozen=True)
class Sender:
    """Who a workspace's mail comes from, and where replies go."""

    display_name: str
    address: str
    reply_to: str | None = None


def mail_host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def sender_for(
    *,
    sender_address: str | None,
    sender_name: str | None,
    reply_to: str | None,
    brand_name: str,
    base_url: str,
) -> Sender:
    """The workspace's own address under its sender (or brand) name; without an address,
    Waitline's no-reply at the server's host."""
    if sender_address:
        return Sender(sender_name or brand_name, sender_address, reply_to)
    return Sender(DEFAULT_SENDER_NAME, f"no-reply@{mail_host(base_url)}", reply_to)


def compose(
    *,
    message_id: str,
    sender: Sender,
    to_address: str,
    rendered: RenderedEmail,
    now: datetime,
    host: str,
    unsubscribe_url: str | None,
) -> EmailMessage:
    """The message to hand to SMTP; raises ValueError for a header it cannot carry."""
    message = EmailMessage(policy=POLICY)
    message["From"] = _mailbox(sender.display_name, sender.address)
    message["To"] = to_address
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    # The same on every retry, so a receiver that got it once can tell.
    message["Message-ID"] = f"<{message_id}@{host}>"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
