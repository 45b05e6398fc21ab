"""Referral and coupon codes: unguessable, typeable, every character equally likely."""

from collections import Counter
from statistics import mean

from sqlalchemy import func, select

from waitline.db.models import Entry
from waitline.entries import service
from waitline.entries.service import CODE_ALPHABET, random_code


def test_codes_have_the_length_asked_for_in_the_alphabet():
    for length in (1, 8, 10, 40):
        code = random_code(length)
        assert len(code) == length
        assert set(code) <= set(CODE_ALPHABET)


def test_every_character_of_the_alphabet_is_equally_likely():
    counts = Counter("".join(random_code(10) for _ in range(20_000)))
    assert counts.keys() == set(CODE_ALPHABET)
    # Each byte taken modulo the alphabet's 31 characters would favour the first eight
    # (256 = 8 * 31 + 8) by 9 to 8; over 200,000 characters a fair draw keeps the two
    # groups' means within about 0.5% of each other.
    favoured = CODE_ALPHABET[: 256 % len(CODE_ALPHABET)]
    others = CODE_ALPHABET[len(favoured) :]
    ratio = mean(counts[c] for c in favoured) / mean(counts[c] for c in others)
    assert 0.96 < ratio < 1.04


def test_codes_do_not_repeat():
    assert len({random_code(10) for _ in range(10_000)}) == 10_000


def draws(*codes: str):
    """A `random_code` that gives these codes first, then random ones."""
    given = list(codes)
    return lambda length: given.pop(0) if given else random_code(length)


def test_a_referral_code_already_taken_is_drawn_again(open_waitlist, join, monkeypatch):
    waitlist = open_waitlist()
    monkeypatch.setattr(service, "random_code", draws("taken2345k"))
    first = join(waitlist, "ada@example.com")
    assert first["referral_code"] == "taken2345k"

    monkeypatch.setattr(service, "random_code", draws("taken2345k", "taken2345k"))
    second = join(waitlist, "bob@example.com")  # alone in its batch, so not written again
    assert second["referral_code"] not in ("taken2345k", first["referral_code"])
    assert set(second["referral_code"]) <= set(CODE_ALPHABET)


def test_a_code_drawn_again_still_lets_an_email_already_on_the_list_be_refused(
    app, open_waitlist, join, monkeypatch
):
    waitlist = open_waitlist()
    monkeypatch.setattr(service, "random_code", draws("taken2345k"))
    join(waitlist, "ada@example.com")
    monkeypatch.setattr(service, "random_code", draws("taken2345k"))
    refused = join(waitlist, "ADA@example.com", expect=409)
    assert refused["code"] == "already_registered"
    with app.state.db.transaction(write=False) as session:
        assert (
            session.execute(
                select(func.count()).select_from(Entry).where(Entry.waitlist_id == waitlist["id"])
            ).scalar_one()
            == 1
        )
