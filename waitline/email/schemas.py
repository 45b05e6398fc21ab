"""Request and response models for email templates and the mail log."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Subject = Annotated[str, Field(min_length=1, max_length=1000)]
Body = Annotated[str, Field(min_length=1, max_length=50_000)]
MessageStatus = Literal["queued", "sent", "kept", "failed", "skipped", "erased"]


class TemplateIn(BaseModel):
    """A workspace's own template: Jinja2, rendered in a sandbox."""

    model_config = ConfigDict(extra="forbid")

    subject: Subject
    html: Body = Field(description="The body, placed inside the branded layout.")
    text: Body = Field(description="The plain-text alternative.")


class PreviewIn(BaseModel):
    """Sources to preview instead of the stored ones; a field left out is the stored one."""

    model_config = ConfigDict(extra="forbid")

    subject: Subject | None = None
    html: Body | None = None
    text: Body | None = None


class TemplateOut(BaseModel):
    name: str
    subject: str
    html: str
    text: str
    built_in: bool = Field(description="True for a built-in template no custom one replaces.")
    overrides_built_in: bool = Field(
        description="True for a custom template with a built-in's name; deleting it restores "
        "the built-in."
    )
    created_at: datetime | None
    updated_at: datetime | None


class PreviewOut(BaseModel):
    """The template rendered with sample data and the workspace's branding."""

    subject: str
    html: str
    text: str


class MessageOut(BaseModel):
    id: str
    template: str
    to_address: str
    subject: str | None
    status: MessageStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    entry_id: str | None
    waitlist_id: str | None
