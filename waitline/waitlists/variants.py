"""Which copy a visitor sees: a locale variant for their language, else a weighted A/B pick."""

import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from waitline.db.counters import bump
from waitline.db.models import Variant, VariantImpression


def normalize_locale(tag: str) -> str:
    """`pt_br` / `PT-br` -> `pt-BR`; the primary subtag lower-case, a region upper-case."""
    parts = tag.replace("_", "-").split("-")
    head, rest = parts[0].lower(), parts[1:]
    return "-".join(
        [
            head,
            *(p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p.lower() for p in rest),
        ]
    )


def preferred_languages(lang: str | None, accept_language: str | None) -> list[str]:
    """Languages to try in order: `lang` wins; then Accept-Language by quality."""
    if lang:
        return [normalize_locale(lang.strip())]
    weighted = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, normalize_locale(tag)))
    return [tag for _, _, tag in sorted(weighted)]


def choose_variant(
    variants: list[Variant],
    *,
    lang: str | None,
    accept_language: str | None,
    sticky_id: str | None,
    rng: random.Random,
) -> Variant | None:
    active = [v for v in variants if v.active]
    by_locale = {normalize_locale(v.locale): v for v in active if v.kind == "locale" and v.locale}
    for tag in preferred_languages(lang, accept_language):
        match = by_locale.get(tag) or by_locale.get(tag.split("-")[0])
        if match is not None:
            return match
    ab = [v for v in active if v.kind == "ab" and v.weight > 0]
    sticky = next((v for v in ab if v.id == sticky_id), None)
    if sticky is not None or not ab:
        return sticky
    return rng.choices(ab, weights=[v.weight for v in ab])[0]


def variants_of(session: Session, waitlist_id: str) -> list[Variant]:
    stmt = (
        select(Variant)
        .where(Variant.waitlist_id == waitlist_id)
        .order_by(Variant.created_at, Variant.id)
    )
    return list(session.scalars(stmt))


def count_impression(session: Session, variant_id: str, day: date) -> None:
    bump(session, VariantImpression, {"variant_id": variant_id, "day": day}, "count", 1)
