"""Rules for waitlists: creation, settings, status and deletion, each with its event."""

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from waitline.db.models import Variant, Waitlist, Workspace
from waitline.entries.line import rebuild_line
from waitline.kit.crypto import SecretBox
from waitline.kit.errors import Conflict, NotFound, ValidationFailed, validation_errors
from waitline.kit.ids import is_uuid, new_id
from waitline.kit.pagination import keyset_page
from waitline.outbox.service import record_event
from waitline.waitlists import repository
from waitline.waitlists.schemas import (
    Brand,
    PublicCaptcha,
    PublicForm,
    PublicInfo,
    PublicReferral,
    WaitlistCreate,
    WaitlistOut,
    WaitlistSettings,
    WaitlistUpdate,
)
from waitline.workspaces.service import settings_of

SEALED_SECRET = "secret_key_sealed"


def settings_view(stored: dict[str, Any]) -> WaitlistSettings:
    """The settings in force: stored values over defaults, with the captcha secret hidden."""
    visible = dict(stored)
    captcha = visible.get("captcha")
    if captcha:
        captcha = {k: v for k, v in captcha.items() if k != SEALED_SECRET}
        visible["captcha"] = {**captcha, "secret_key_set": SEALED_SECRET in stored["captcha"]}
    return WaitlistSettings.model_validate(visible)


def captcha_secret(waitlist: Waitlist, box: SecretBox) -> str | None:
    sealed = (waitlist.settings.get("captcha") or {}).get(SEALED_SECRET)
    return box.open(sealed) if sealed else None


def _in_force(stored: dict[str, Any], box: SecretBox) -> tuple[WaitlistSettings, str | None]:
    """What a settings dict means, to tell a real change from a restatement.

    A default given explicitly means the same as one left out, and a secret sealed again
    (each sealing differs) means the same as the old one if it opens to the same text."""
    sealed = (stored.get("captcha") or {}).get(SEALED_SECRET)
    try:
        secret = box.open(sealed) if sealed else None
    except ValueError:  # sealed under another server key: only the same token is the same
        secret = sealed
    return settings_view(stored), secret


def merge_settings(stored: dict[str, Any], patch: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    """Shallow-merge a patch into stored settings; validate the result as a whole."""
    unknown = sorted(set(patch) - set(WaitlistSettings.model_fields))
    if unknown:
        raise ValidationFailed({f"settings.{key}": ["Unknown setting."] for key in unknown})
    merged = {k: v for k, v in {**stored, **patch}.items() if v is not None}
    previous_sealed = (stored.get("captcha") or {}).get(SEALED_SECRET)
    if isinstance(merged.get("captcha"), dict):
        merged["captcha"] = {k: v for k, v in merged["captcha"].items() if k != SEALED_SECRET}
    try:
        validated = WaitlistSettings.model_validate(merged)
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
        raise ValidationFailed({_prefixed(field): msgs for field, msgs in errors.items()}) from None
    result = validated.model_dump(mode="json", include=set(merged))
    if validated.captcha is not None:
        result["captcha"] = _seal_captcha(validated, previous_sealed, box)
    return result


def _seal_captcha(validated: WaitlistSettings, previous_sealed: str | None, box: SecretBox) -> dict:
    captcha = validated.captcha.model_dump(mode="json", exclude={"secret_key", "secret_key_set"})
    if validated.captcha.secret_key:
        captcha[SEALED_SECRET] = box.seal(validated.captcha.secret_key)
    elif previous_sealed:
        captcha[SEALED_SECRET] = previous_sealed
    else:
        raise ValidationFailed({"settings.captcha.secret_key": ["Required to set up a captcha."]})
    return captcha


def _prefixed(field: str) -> str:
    return "settings" if field == "body" else f"settings.{field}"


def waitlist_out(waitlist: Waitlist, workspace: Workspace) -> WaitlistOut:
    return WaitlistOut(
        id=waitlist.id,
        workspace_id=waitlist.workspace_id,
        workspace_slug=workspace.slug,
        slug=waitlist.slug,
        display_name=waitlist.display_name,
        description=waitlist.description,
        status=waitlist.status,
        settings=settings_view(waitlist.settings),
        created_by=waitlist.created_by,
        previous_workspace_slug=workspace.previous_slug,
        created_at=waitlist.created_at,
        updated_at=waitlist.updated_at,
    )


def waitlist_for(session: Session, workspace: Workspace, waitlist_id: str) -> Waitlist:
    waitlist = (
        repository.by_id(session, workspace.id, waitlist_id) if is_uuid(waitlist_id) else None
    )
    if waitlist is None:
        raise NotFound("No waitlist with this id in this workspace.", code="waitlist_not_found")
    return waitlist


def list_waitlists(
    session: Session, workspace: Workspace, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Waitlist], str | None]:
    return keyset_page(
        session,
        repository.listing(workspace.id, status),
        created=Waitlist.created_at,
        id_=Waitlist.id,
        limit=limit,
        cursor=cursor,
    )


def create_waitlist(
    session: Session,
    workspace: Workspace,
    body: WaitlistCreate,
    *,
    created_by: str,
    box: SecretBox,
    now: datetime,
) -> Waitlist:
    _ensure_slug_free(session, workspace.id, body.slug)
    waitlist = Waitlist(
        id=new_id(),
        workspace_id=workspace.id,
        slug=body.slug,
        display_name=body.display_name,
        description=body.description,
        status=body.status,
        settings=merge_settings({}, body.settings or {}, box),
        created_by=created_by,
        last_seq=0,
        created_at=now,
        updated_at=now,
    )
    session.add(waitlist)
    _flush_claiming_slug(session, body.slug)
    _record(session, "waitlist.created", waitlist, workspace, now)
    return waitlist


def update_waitlist(
    session: Session,
    workspace: Workspace,
    waitlist: Waitlist,
    body: WaitlistUpdate,
    *,
    box: SecretBox,
    now: datetime,
) -> Waitlist:
    changed = []
    if body.slug is not None and body.slug != waitlist.slug:
        _ensure_slug_free(session, workspace.id, body.slug)
        waitlist.slug = body.slug
        _flush_claiming_slug(session, body.slug)
        changed.append("slug")
    for field in ("display_name", "description"):
        if field in body.model_fields_set and getattr(body, field) != getattr(waitlist, field):
            if field == "display_name" and body.display_name is None:
                raise ValidationFailed({"display_name": ["Cannot be null."]})
            setattr(waitlist, field, getattr(body, field))
            changed.append(field)
    if body.settings:
        new_settings = merge_settings(waitlist.settings, body.settings, box)
        if _in_force(new_settings, box) != _in_force(waitlist.settings, box):
            before = settings_view(waitlist.settings)
            waitlist.settings = new_settings
            changed.append("settings")
            _reorder_line_if_rules_changed(session, waitlist, before)
    if changed:
        waitlist.updated_at = now
        session.flush()
        _record(session, "waitlist.updated", waitlist, workspace, now, changed=changed)
    if body.status is not None:
        change_status(session, workspace, waitlist, body.status, now=now)
    return waitlist


def _reorder_line_if_rules_changed(
    session: Session, waitlist: Waitlist, before: WaitlistSettings
) -> None:
    """A new boost changes every score; a new opt-in rule changes who is waiting."""
    after = settings_view(waitlist.settings)
    if (after.referral_boost, after.double_opt_in) != (before.referral_boost, before.double_opt_in):
        session.flush()
        rebuild_line(
            session,
            waitlist,
            boost=after.referral_boost,
            double_opt_in=after.double_opt_in,
            same_ip_credit=after.referral_same_ip_credit,
            opt_in_lifted=before.double_opt_in and not after.double_opt_in,
        )


def change_status(
    session: Session, workspace: Workspace, waitlist: Waitlist, status: str, *, now: datetime
) -> Waitlist:
    previous = waitlist.status
    if status == previous:
        return waitlist
    if previous == "closed":
        raise Conflict("A closed waitlist is closed for good; create a new one instead.")
    waitlist.status = status
    waitlist.updated_at = now
    session.flush()
    _record(session, "waitlist.status_changed", waitlist, workspace, now, previous_status=previous)
    return waitlist


def delete_waitlist(
    session: Session, workspace: Workspace, waitlist: Waitlist, *, now: datetime
) -> None:
    _record(session, "waitlist.deleted", waitlist, workspace, now)
    session.delete(waitlist)
    session.flush()


def _record(
    session: Session,
    type_: str,
    waitlist: Waitlist,
    workspace: Workspace,
    now: datetime,
    **extra: Any,
) -> None:
    data = waitlist_out(waitlist, workspace).model_dump(mode="json") | extra
    record_event(
        session, workspace_id=workspace.id, waitlist_id=waitlist.id, type=type_, data=data, now=now
    )


def _ensure_slug_free(session: Session, workspace_id: str, slug: str) -> None:
    if repository.by_slug(session, workspace_id, slug) is not None:
        raise _slug_taken(slug)


def _flush_claiming_slug(session: Session, slug: str) -> None:
    """Flush a new slug; one another request took since the check is the same 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        raise _slug_taken(slug) from None


def _slug_taken(slug: str) -> Conflict:
    return Conflict(
        f"This workspace already has a waitlist with the slug {slug!r}.",
        errors={"slug": ["Already taken."]},
    )


def public_info(
    workspace: Workspace,
    waitlist: Waitlist,
    variant: Variant | None,
    *,
    signup_count: int,
    default_confirmation: str,
) -> PublicInfo:
    settings = settings_view(waitlist.settings)
    brand = settings_of(workspace)
    copy = variant.copy if variant else {}
    captcha = settings.captcha
    return PublicInfo(
        workspace_slug=workspace.slug,
        slug=waitlist.slug,
        display_name=copy.get("display_name") or waitlist.display_name,
        description=copy.get("description") or waitlist.description,
        confirmation_message=copy.get("confirmation_message")
        or settings.confirmation_message
        or default_confirmation,
        status=waitlist.status,
        locale=variant.locale if variant and variant.kind == "locale" else None,
        variant_id=variant.id if variant else None,
        brand=Brand(
            name=brand.brand_name or workspace.name,
            logo_url=settings.page.logo_url or brand.brand_logo_url,
            primary_color=settings.page.theme_color or brand.primary_color,
        ),
        form=PublicForm(
            collect_name=settings.collect_name,
            custom_fields=settings.custom_fields,
            captcha=PublicCaptcha(provider=captcha.provider, site_key=captcha.site_key)
            if captcha
            else None,
        ),
        referral=PublicReferral(enabled=settings.referral_boost > 0, boost=settings.referral_boost),
        leaderboard=settings.leaderboard,
        page=settings.page,
        signup_count=None if settings.hide_counts else signup_count,
    )
