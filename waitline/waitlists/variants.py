"""Variants of a waitlist's copy: which one a visitor sees (a locale variant for their
language, else a weighted A/B pick), and the rules for creating and changing them."""

import random
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from waitline.db.counters import bump
from waitline.db.models import Variant, VariantImpression, Waitlist
from waitline.db.session import Database
from waitline.kit.errors import Conflict, NotFound, ValidationFailed
from waitline.kit.ids import is_uuid, new_id
from waitline.kit.pagination import keyset_page
from waitline.waitlists.schemas import VariantCopyOut, VariantCreate, VariantOut, VariantUpdate

# Checked after normalising, so `pt_br` passes as `pt-BR`.
LOCALE_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
# A locale variant is never drawn by weight; it keeps the default so the column says nothing.
LOCALE_WEIGHT = 1


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


def count_impression_now(db: Database, variant_id: str, now: datetime) -> None:
    """An impression in a transaction of its own: pages count them after they have read."""
    with db.transaction() as session:
        count_impression(session, variant_id, now.date())


# Admin CRUD. Variant changes record no event: the contract's event types name none.


def variant_out(variant: Variant) -> VariantOut:
    copy = variant.copy or {}
    return VariantOut(
        id=variant.id,
        waitlist_id=variant.waitlist_id,
        kind=variant.kind,
        locale=variant.locale,
        copy=VariantCopyOut(
            display_name=copy.get("display_name"),
            description=copy.get("description"),
            confirmation_message=copy.get("confirmation_message"),
        ),
        weight=variant.weight,
        active=variant.active,
        created_at=variant.created_at,
        updated_at=variant.updated_at,
    )


def variant_for(session: Session, waitlist: Waitlist, variant_id: str) -> Variant:
    variant = None
    if is_uuid(variant_id):
        stmt = select(Variant).where(Variant.id == variant_id, Variant.waitlist_id == waitlist.id)
        variant = session.scalar(stmt)
    if variant is None:
        raise NotFound("No variant with this id on this waitlist.")
    return variant


def list_variants(
    session: Session, waitlist: Waitlist, *, limit: int, cursor: str | None
) -> tuple[list[Variant], str | None]:
    return keyset_page(
        session,
        select(Variant).where(Variant.waitlist_id == waitlist.id),
        created=Variant.created_at,
        id_=Variant.id,
        limit=limit,
        cursor=cursor,
    )


def create_variant(
    session: Session, waitlist: Waitlist, body: VariantCreate, *, now: datetime
) -> Variant:
    locale = _locale_for_kind(body.kind, body.locale)
    if body.kind == "locale" and body.active:
        _ensure_locale_free(session, waitlist, locale, keep=None)
    variant = Variant(
        id=new_id(),
        waitlist_id=waitlist.id,
        kind=body.kind,
        locale=locale,
        copy=body.copy_.model_dump(exclude_none=True),
        weight=LOCALE_WEIGHT if body.kind == "locale" else body.weight,
        active=body.active,
        created_at=now,
        updated_at=now,
    )
    session.add(variant)
    session.flush()
    return variant


def update_variant(
    session: Session, waitlist: Waitlist, variant: Variant, body: VariantUpdate, *, now: datetime
) -> Variant:
    given = body.model_fields_set
    if "kind" in given and body.kind != variant.kind:
        raise ValidationFailed(
            {"kind": ["Cannot be changed; create a variant of the other kind instead."]}
        )
    changes: dict[str, Any] = {}
    if "locale" in given:
        changes["locale"] = _locale_for_kind(variant.kind, body.locale)
    if "copy_" in given:
        merged = {**(variant.copy or {}), **body.copy_.model_dump(exclude_unset=True)}
        changes["copy"] = {k: v for k, v in merged.items() if v is not None}
    if "weight" in given and variant.kind == "ab":
        changes["weight"] = body.weight
    if "active" in given:
        changes["active"] = body.active
    changes = {k: v for k, v in changes.items() if v != getattr(variant, k)}
    if not changes:
        return variant
    claims_locale = "locale" in changes or changes.get("active") is True
    if variant.kind == "locale" and claims_locale and changes.get("active", variant.active):
        _ensure_locale_free(session, waitlist, changes.get("locale", variant.locale), keep=variant)
    for field, value in changes.items():
        setattr(variant, field, value)
    variant.updated_at = now
    session.flush()
    return variant


def delete_variant(session: Session, variant: Variant) -> None:
    """Its impression counts go with it; entries keep the `variant_id` they signed up under."""
    session.delete(variant)
    session.flush()


def _locale_for_kind(kind: str, tag: str | None) -> str | None:
    if kind == "ab":
        if tag is not None:
            raise ValidationFailed({"locale": ["Only locale variants have a locale."]})
        return None
    if tag is None:
        raise ValidationFailed({"locale": ["Required for a locale variant."]})
    locale = normalize_locale(tag)
    if not LOCALE_RE.match(locale):
        raise ValidationFailed({"locale": ["Must be a BCP-47 language tag such as en or pt-BR."]})
    return locale


def _ensure_locale_free(
    session: Session, waitlist: Waitlist, locale: str, *, keep: Variant | None
) -> None:
    """One active variant per locale, or `lang` could not say which copy to show.

    The waitlist row is locked first (PostgreSQL; SQLite has one writer anyway), so two
    requests claiming the same locale at once take turns and the second one sees the first."""
    session.execute(select(Waitlist.id).where(Waitlist.id == waitlist.id).with_for_update())
    for other in variants_of(session, waitlist.id):
        if other is keep or not other.active or other.kind != "locale" or not other.locale:
            continue
        if normalize_locale(other.locale) == locale:
            raise Conflict(
                f"This waitlist already has an active variant for {locale}.",
                errors={"locale": [f"An active variant for {locale} exists: {other.id}."]},
            )
