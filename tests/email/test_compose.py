"""Composing messages: parsed headers are kept and shared between messages
(`compose.ParsedHeaders`), so each message must still carry exactly its own."""

from datetime import UTC, datetime
from email import message_from_bytes, policy

from waitline.email.compose import Sender, compose
from waitline.email.render import RenderedEmail

SENDER = Sender("Équipe Acme", "hello@acme.example")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _message(n: int, subject: str):
    return compose(
        message_id=f"id-{n}",
        sender=SENDER,
        to_address=f"person{n}@example.com",
        rendered=RenderedEmail(subject=subject, text=f"Hello {n}", html=f"<p>Hello {n}</p>"),
        now=NOW,
        host="acme.example",
        unsubscribe_url=f"https://acme.example/v1/unsubscribe?token=t{n}",
    )


def test_messages_composed_one_after_another_each_carry_their_own_headers():
    subject = "Vous êtes sur la liste — position n° 42, merci de votre patience et à bientôt"
    first, second = _message(1, subject), _message(2, subject)
    flattened = [bytes(first), bytes(second), bytes(first)]

    assert flattened[0] == flattened[2]  # flattening changes nothing it shares
    for n, raw in ((1, flattened[0]), (2, flattened[1])):
        read = message_from_bytes(raw, policy=policy.default)
        assert read["To"] == f"person{n}@example.com"
        assert read["Message-ID"] == f"<id-{n}@acme.example>"
        assert read["Subject"] == subject
        assert read["From"].addresses[0].display_name == "Équipe Acme"
        assert read["List-Unsubscribe"] == f"<https://acme.example/v1/unsubscribe?token=t{n}>"
        assert read.get_body(("plain",)).get_content().strip() == f"Hello {n}"
        assert read.get_body(("html",)).get_content().strip() == f"<p>Hello {n}</p>"
