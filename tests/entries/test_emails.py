"""The normalised form uniqueness is checked on, and throwaway domains (spec §1, Entry):
case-folded, +tags dropped, dots dropped for gmail.com and googlemail.com; a throwaway domain
matched on itself and on each parent domain."""

import pytest
from disposable_email_domains import blocklist
from hypothesis import given
from hypothesis import strategies as st

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
