"""Addresses of people joining: syntax, look-alikes, throwaway domains, one per person."""

import functools
import sys
from dataclasses import dataclass

from confusable_homoglyphs import categories, confusables
from disposable_email_domains import blocklist
from email_validator import EmailNotValidError, validate_email
from email_validator.syntax import validate_email_domain_name

# Providers that ignore dots in the local part, so a.b@ and ab@ reach one inbox.
DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Digits, hyphens and combining marks go with any script.
SHARED_SCRIPTS = frozenset({"COMMON", "INHERITED"})
# Unicode UTS #39 "highly restrictive", as browsers apply it to domain names: one script
# per label, except that Japanese, Chinese and Korean mix scripts by nature, with Latin.
CJK_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
# Country-code domains where these scripts are at home, so a name in them may look Latin
# there; the list Chromium's IDN spoof checker keeps (idn_spoof_checker.cc).
HOME_TLDS = {
    "ARMENIAN": {"am"},
    "CYRILLIC": {"bg", "by", "kz", "ru", "su", "ua", "uz"},
    "ETHIOPIC": {"er", "et"},
    "GEORGIAN": {"ge"},
    "GREEK": {"gr"},
    "HEBREW": {"il"},
    "MYANMAR": {"mm"},
    "THAI": {"th"},
}


@functools.lru_cache(maxsize=4096)
def _checked_domain_name(domain: str, test_environment: bool, globally_deliverable: bool):
    return validate_email_domain_name(
        domain, test_environment=test_environment, globally_deliverable=globally_deliverable
    )


def _domain_name_once(
    domain: str, test_environment: bool = False, globally_deliverable: bool = True
) -> dict:
    """email-validator's check of the part after the @, kept per domain. It was most of the
    cost of checking an address (its Unicode and IDNA rules, character by character), and a
    launch's signups come from a few hundred domains, gmail.com first. A domain it refuses
    raises every time: `lru_cache` keeps no exceptions. A copy, as callers own the result."""
    return dict(_checked_domain_name(domain, test_environment, globally_deliverable))


# `validate_email` looks the function up in its own module at each call (a module the
# package's `validate_email` function hides by its name). The package is pinned, and
# tests/entries/test_emails.py checks that the swap is in place and answers as the
# library's own function does.
sys.modules["email_validator.validate_email"].validate_email_domain_name = _domain_name_once


@dataclass(frozen=True)
class CheckedEmail:
    address: str
    normalized: str
    domain: str


def check_email(raw: str) -> CheckedEmail:
    """Validate syntax (no DNS) and refuse look-alike domains; ValueError says why."""
    if len(raw) > 254:
        raise ValueError("is longer than 254 characters")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    # An ASCII name is Latin alone: nearly every signup, spared the Unicode lookups.
    if not result.domain.isascii():
        labels = result.domain.split(".")
        for label in labels:
            _refuse_look_alike(label, top_level=labels[-1])
    return CheckedEmail(
        address=raw.strip(),
        normalized=normalize_email(result.local_part, result.ascii_domain or result.domain),
        domain=(result.ascii_domain or result.domain).lower(),
    )


def normalize_email(local_part: str, domain: str) -> str:
    """The form uniqueness is checked on: case-folded, +tags dropped, gmail dots dropped."""
    local = local_part.casefold().split("+", 1)[0]
    domain = domain.casefold()
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def is_disposable(domain: str) -> bool:
    """True when the domain or any parent domain is a known throwaway provider."""
    labels = domain.lower().split(".")
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


def _refuse_look_alike(label: str, top_level: str) -> None:
    """ValueError for a label that can pass for another name, as browsers judge (UTS #39)."""
    scripts = _scripts(label)
    if len(scripts) > 1 and not any(scripts <= mix for mix in CJK_SCRIPT_MIXES):
        raise ValueError(f"the domain mixes alphabets in {label!r}, as look-alike domains do")
    if len(scripts) != 1:
        return
    (script,) = scripts
    # A name wholly in letters that each look like an ASCII one (Cyrillic for "apple")
    # passes for a Latin name, unless the top-level domain says which script to expect.
    if script != "LATIN" and _passes_for_ascii(label) and not _at_home(script, top_level):
        raise ValueError(
            f"the domain {label!r} is written in {script.replace('_', ' ').title()} letters"
            " that all look like Latin ones, as look-alike domains are"
        )


def _at_home(script: str, top_level: str) -> bool:
    """True under a top-level domain written in the script (.рф) or where it is at home (.bg)."""
    return script in _scripts(top_level) or top_level in HOME_TLDS.get(script, ())


def _scripts(text: str) -> set[str]:
    """The Unicode scripts of text (from the Scripts.txt data), shared ones left out."""
    return {categories.alias(char) for char in text} - SHARED_SCRIPTS


def _passes_for_ascii(label: str) -> bool:
    """True when each of the label's own letters is listed by Unicode (UTS #39 confusables)
    as a look-alike of an ASCII letter or digit."""
    return all(_looks_ascii(char) for char in set(label) if _scripts(char))


def _looks_ascii(char: str) -> bool:
    # ASCII, not any Latin: the confusables also pair Cyrillic letters with Latin small
    # capitals (к with ĸ, н with ʜ) that nobody reads in a domain, and counting those would
    # refuse most Russian words.
    found = confusables.is_confusable(char)
    return bool(found) and any(
        glyph["c"].isascii() and glyph["c"].isalnum() for glyph in found[0]["homoglyphs"]
    )
