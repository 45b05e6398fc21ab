"""The normalised form uniqueness is checked on, and throwaway domains (spec §1, Entry):
case-folded, +tags dropped, dots dropped for gmail.com and googlemail.com; a throwaway domain
matched on itself and on each parent domain."""

import sys

import pytest
from disposable_email_domains import blocklist
from email_validator import EmailNotValidError
from email_validator import validate_email as library_check
from email_validator.syntax import validate_email_domain_name
from hypothesis import given
from hypothesis import strategies as st

from waitline.entries import emails
from waitline.entries.emails import check_email, is_disposable, normalize_email

ATOM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*/=?^_`{|}~-"
atoms = st.text(ATOM, min_size=1, max_size=12)
# Dot-atoms: no leading, trailing or doubled dots.
locals_ = st.lists(atoms, min_size=1, max_size=3).map(".".join)
labels = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
domains = st.one_of(
    st.sampled_from(["gmail.com", "googlemail.com", "example.com", "Example.ORG", "mail.co.uk"]),
    st.lists(labels, min_size=1, max_size=3).map(lambda ls: ".".join([*ls, "com"])),
)
tags = st.text(ATOM.replace("+", ""), min_size=0, max_size=10)
DOTLESS = ("gmail.com", "googlemail.com")
BLOCKED = sorted(blocklist)


def _swapcase(text: str) -> str:
    return "".join(c.lower() if c.isupper() else c.upper() for c in text)


@given(local=locals_, domain=domains)
def test_case_does_not_matter(local, domain):
    address = f"{local}@{domain}"
    assert check_email(address).normalized == check_email(_swapcase(address)).normalized
    assert normalize_email(local, domain) == normalize_email(local.upper(), domain.upper())


@given(local=locals_, domain=domains, tag=tags)
def test_a_plus_tag_is_dropped(local, domain, tag):
    plain = local.replace("+", "")
    assert normalize_email(f"{plain}+{tag}", domain) == normalize_email(plain, domain)


@given(local=locals_, domain=st.sampled_from(DOTLESS), where=st.lists(st.integers(0, 20)))
def test_dots_are_dropped_for_gmail_and_googlemail_is_gmail(local, domain, where):
    dotted = list(local.replace(".", ""))
    for index in sorted(where, reverse=True):
        # Only between characters: an address cannot start or end with a dot.
        if 0 < index < len(dotted) and dotted[index - 1] != "." and dotted[index] != ".":
            dotted.insert(index, ".")
    assert normalize_email("".join(dotted), domain) == normalize_email(
        local.replace(".", ""), "gmail.com"
    )


@given(local=locals_.filter(lambda s: "." in s.strip(".")), domain=domains)
def test_dots_count_everywhere_else(local, domain):
    if domain.lower() in DOTLESS:
        return
    assert normalize_email(local, domain) != normalize_email(local.replace(".", ""), domain)


@given(local=locals_, domain=domains)
def test_normalising_twice_changes_nothing(local, domain):
    once = normalize_email(local, domain)
    again = normalize_email(*once.rsplit("@", 1))
    assert again == once
    assert check_email(once).normalized == once


@given(local=locals_, domain=domains)
def test_the_address_is_kept_as_given(local, domain):
    address = f"{local}@{domain}"
    checked = check_email(address)
    assert checked.address == address
    assert checked.domain == domain.lower()


@given(domain=st.sampled_from(BLOCKED), prefix=st.lists(labels, max_size=3))
def test_a_throwaway_domain_and_every_subdomain_of_it_is_disposable(domain, prefix):
    assert is_disposable(".".join([*prefix, domain]))
    assert is_disposable(".".join([*prefix, domain]).upper())


@pytest.mark.parametrize(
    "domain", ["example.com", "gmail.com", "com", "mailinator.com.example.org", "co.uk"]
)
def test_ordinary_domains_are_not_disposable(domain):
    assert not is_disposable(domain)


def test_a_domain_is_not_disposable_for_merely_ending_like_one():
    assert "mailinator.com" in blocklist
    assert "xyzmailinator.com" not in blocklist
    assert not is_disposable("xyzmailinator.com")


# Cyrillic a, er, er, palochka, ie: every letter looks Latin, so the name reads "apple".
APPLE_IN_CYRILLIC = "\u0430\u0440\u0440\u04cf\u0435"
RHO_OMICRON = "\u03c1\u03bf"  # Greek, reads "po"


@pytest.mark.parametrize(
    ("address", "label", "script"),
    [
        (f"ada@{APPLE_IN_CYRILLIC}.com", APPLE_IN_CYRILLIC, "Cyrillic"),
        (f"ada@{APPLE_IN_CYRILLIC.upper()}.COM", APPLE_IN_CYRILLIC, "Cyrillic"),
        ("ada@xn--80ak6aa92e.com", APPLE_IN_CYRILLIC, "Cyrillic"),  # the same, as punycode
        (f"ada@mail.{APPLE_IN_CYRILLIC}.de", APPLE_IN_CYRILLIC, "Cyrillic"),
        (f"ada@{RHO_OMICRON}.com", RHO_OMICRON, "Greek"),
    ],
)
def test_a_name_wholly_in_letters_that_look_latin_is_refused(address, label, script):
    with pytest.raises(ValueError) as refused:
        check_email(address)
    assert str(refused.value) == (
        f"the domain {label!r} is written in {script} letters that all look like Latin ones,"
        " as look-alike domains are"
    )


@pytest.mark.parametrize(
    "address",
    [
        f"ada@{APPLE_IN_CYRILLIC}.\u0440\u0444",  # .рф: Cyrillic is what a reader expects
        f"ada@{APPLE_IN_CYRILLIC}.bg",
        f"ada@{RHO_OMICRON}.gr",
        "\u043f\u043e\u0447\u0442\u0430@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
        "ada@\u043f\u0440\u0438\u043c\u0435\u0440.com",  # п, и, м look like no Latin letter
    ],
)
def test_a_name_in_one_foreign_script_is_accepted_where_it_cannot_pass_for_latin(address):
    assert check_email(address).address == address


@pytest.mark.parametrize("address", ["user@bücher.de", "user@müller.de", "user@ÅLAND.fi"])
def test_latin_letters_with_diacritics_are_accepted(address):
    assert check_email(address).address == address


@pytest.mark.parametrize(
    "address",
    [
        "taro@日本語ドメイン.jp",  # Han and Katakana
        "taro@にほんご日本.jp",  # Hiragana and Han
        "taro@shop日本のドメイン.jp",  # Latin, Han, Hiragana and Katakana
        "minsu@韓國어.kr",  # Han and Hangul
        "wei@中文ㄓㄨㄥ.tw",  # Han and Bopomofo
    ],
)
def test_japanese_korean_and_chinese_names_may_mix_their_scripts(address):
    assert check_email(address).address == address


@pytest.mark.parametrize(
    "address",
    [
        "ada@payp\u0430l.com",  # Latin with one Cyrillic a
        "ada@\u0440\u0430ypal.com",
        "taro@ドメイン\u0430\u0431.jp",  # Katakana with Cyrillic
        "minsu@한국ドメイン.kr",  # Hangul with Katakana: no one writes both
    ],
)
def test_a_name_mixing_alphabets_is_refused(address):
    with pytest.raises(ValueError, match="mixes alphabets"):
        check_email(address)


DOMAINS = [
    "example.com",
    "Example.COM",
    "mail.example.co.uk",
    "bücher.example",
    "xn--bcher-kva.example",
    "пример.рф",
    "例え.テスト",
    "ex_ample.com",
    "-example.com",
    "example..com",
    "example",
    "a" * 64 + ".com",
    "exa mple.com",
]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("twice", [1, 2])
def test_a_domain_kept_from_an_earlier_check_is_judged_as_the_library_judges_it(domain, twice):
    """The part after the @ is checked once per domain and kept (entries/emails.py); the
    answer, a refusal included, must be the library's own, the second time too."""

    def outcome(check):
        try:
            return check(domain)
        except EmailNotValidError as error:
            return str(error)

    for _ in range(twice):
        assert outcome(lambda d: library_check(f"ada@{d}", check_deliverability=False).domain) == (
            outcome(lambda d: validate_email_domain_name(d)["domain"])
        )


def test_each_domain_is_checked_once_while_it_is_kept(monkeypatch):
    core = sys.modules["email_validator.validate_email"]
    calls = []
    real = emails.validate_email_domain_name
    monkeypatch.setattr(
        emails, "validate_email_domain_name", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    emails._checked_domain_name.cache_clear()
    assert core.validate_email_domain_name is emails._domain_name_once
    for name in ("ada", "bob", "cy"):
        check_email(f"{name}@kept-once.example.com")
    assert calls == [("kept-once.example.com",)]
