"""Rules for workspaces and their settings."""

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from waitline.auth.service import Credential
from waitline.db.models import Workspace
from waitline.email.templates import template_exists
from waitline.kit.errors import Conflict, NotFound, ValidationFailed
from waitline.kit.ids import is_uuid, new_id
from waitline.workspaces import repository
from waitline.workspaces.schemas import (
    TEMPLATE_SETTINGS,
    WorkspaceSettings,
    WorkspaceSettingsUpdate,
    WorkspaceUpdate,
)


def create_workspace(session: Session, *, slug: str, name: str, now: datetime) -> Workspace:
    _ensure_slug_free(session, slug)
    workspace = Workspace(
        id=new_id(), slug=slug, name=name, settings={}, created_at=now, updated_at=now
    )
    session.add(workspace)
    _flush_claiming_slug(session, slug)
    return workspace


def workspace_for(session: Session, credential: Credential, workspace_id: str) -> Workspace:
    """The workspace a credential names; any other workspace does not exist for it."""
    workspace = None
    if credential.workspace_id == workspace_id and is_uuid(workspace_id):
        workspace = repository.by_id(session, workspace_id)
    if workspace is None:
        raise NotFound("No workspace with this id.")
    return workspace


def update_workspace(
    session: Session, workspace: Workspace, update: WorkspaceUpdate, *, now: datetime
) -> Workspace:
    if update.name is not None:
        workspace.name = update.name
    if update.slug is not None and update.slug != workspace.slug:
        _ensure_slug_free(session, update.slug)
        workspace.previous_slug = workspace.slug
        workspace.slug = update.slug
    workspace.updated_at = now
    _flush_claiming_slug(session, workspace.slug)
    return workspace


def settings_of(workspace: Workspace) -> WorkspaceSettings:
    return WorkspaceSettings.model_validate(workspace.settings or {})


def update_settings(
    session: Session, workspace: Workspace, update: WorkspaceSettingsUpdate, *, now: datetime
) -> WorkspaceSettings:
    stored: dict[str, Any] = dict(workspace.settings or {})
    for field in update.model_fields_set:
        value = getattr(update, field)
        if value is None:
            stored.pop(field, None)
        else:
            stored[field] = update.model_dump(mode="json", include={field})[field]
    settings = WorkspaceSettings.model_validate(stored)
    _check_settings_consistency(session, workspace.id, settings)
    workspace.settings = stored
    workspace.updated_at = now
    session.flush()
    return settings


def _check_settings_consistency(
    session: Session, workspace_id: str, settings: WorkspaceSettings
) -> None:
    errors: dict[str, list[str]] = {}
    app_slugs = [app.slug for app in settings.apps]
    if len(set(app_slugs)) != len(app_slugs):
        errors["apps"] = ["Each app needs its own slug."]
    if settings.default_app_slug and settings.default_app_slug not in app_slugs:
        errors["default_app_slug"] = ["Must be the slug of one of the apps."]
    for field in TEMPLATE_SETTINGS:
        name = getattr(settings, field)
        if name is not None and not template_exists(session, workspace_id, name):
            errors[field] = [f"No email template named {name!r}."]
    if errors:
        raise ValidationFailed(errors)


def _ensure_slug_free(session: Session, slug: str) -> None:
    if repository.by_slug(session, slug) is not None:
        raise _slug_taken(slug)


def _flush_claiming_slug(session: Session, slug: str) -> None:
    """Flush a new slug; one another request took since the check is the same 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        raise _slug_taken(slug) from None


def _slug_taken(slug: str) -> Conflict:
    return Conflict(f"The slug {slug!r} is taken.", errors={"slug": ["Already taken."]})
