"""Request and response models for invites and bulk actions."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from waitline.entries.schemas import EntryOut
from waitline.kit.fields import Slug


class InviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_slug: Slug | None = Field(None, description="Defaults to the workspace's default app.")
    send_email: bool = True


class InvitedEntry(EntryOut):
    invite_url: str | None


class InviteNextRequest(InviteRequest):
    count: int = Field(ge=1, le=1000)


class BulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=100)]
    action: Literal["approve", "reject", "invite-to-app", "delete"]
    app_slug: Slug | None = None
    send_email: bool = True


class ItemError(BaseModel):
    code: str
    message: str


class ItemResult(BaseModel):
    id: str
    status: Literal["ok", "error"]
    error: ItemError | None = Field(None, exclude_if=lambda error: error is None)


class BulkResult(BaseModel):
    requested: int
    succeeded: int
    failed: int
    results: list[ItemResult]


class InviteEntry(BaseModel):
    id: str
    email: str
    name: str | None


class InviteLookup(BaseModel):
    valid: bool
    expired: bool
    redeemed_at: datetime | None
    app_slug: str | None
    entry: InviteEntry
