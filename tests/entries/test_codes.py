"""Referral and coupon codes: unguessable, typeable, every character equally likely."""

from collections import Counter
from statistics import mean

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
