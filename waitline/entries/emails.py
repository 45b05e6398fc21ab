"""Addresses of people joining: syntax, look-alikes, throwaway domains, one per person."""

import unicodedata
from dataclasses import dataclass

from disposable_email_domains import blocklist
from email_validator import EmailNotValidError, validate_email

# Providers that ignore dots in the local part, so a.b@ and ab@ reach one inbox.
DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


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
    for label in result.domain.split("."):
        if len(_scripts(label)) > 1:
            raise ValueError(f"the domain mixes alphabets in {label!r}, as look-alike domains do")
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


def _scripts(label: str) -> set[str]:
    scripts = set()
    for char in label:
        if char.isalpha():
            scripts.add(unicodedata.name(char, "UNKNOWN").split(" ")[0])
    return scripts
