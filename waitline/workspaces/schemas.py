"""Request and response models for workspaces and their settings."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from waitline.kit.fields import EmailText, HexColor, HttpUrlText, Name, Slug


class WorkspaceOut(BaseModel):
    id: str
    slug: str
    name: str
    previous_slug: str | None
    created_at: datetime
    updated_at: datetime


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    slug: Slug | None = None


def _has_code_placeholder(value: str) -> str:
    if "{code}" not in value:
        raise ValueError("must contain {code}, where the invite code goes")
    return value


class AppConfig(BaseModel):
    """A product that people on a waitlist are invited into."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name
    invite_url_template: Annotated[HttpUrlText, AfterValidator(_has_code_placeholder)]


TemplateName = Annotated[str, Field(min_length=1, max_length=64)]
TEMPLATE_SETTINGS = (
    "welcome_template_name",
    "approved_template_name",
    "rejected_template_name",
    "invited_template_name",
)


class WorkspaceSettings(BaseModel):
    """A workspace's settings; every field may be null, which clears it."""

    model_config = ConfigDict(extra="forbid")

    brand_name: Name | None = None
    brand_logo_url: HttpUrlText | None = None
    primary_color: HexColor | None = None
    notifications_enabled: bool = Field(
        True, description="Master switch for every email other than confirmation."
    )
    sender_address: EmailText | None = None
    sender_name: Name | None = None
    reply_to: EmailText | None = None
    apps: list[AppConfig] = Field(default_factory=list, max_length=50)
    default_app_slug: Slug | None = None
    welcome_template_name: TemplateName | None = None
    approved_template_name: TemplateName | None = None
    rejected_template_name: TemplateName | None = None
    invited_template_name: TemplateName | None = None


class WorkspaceSettingsUpdate(WorkspaceSettings):
    """The fields to change; absent fields stay as they are, null clears one."""

    notifications_enabled: bool | None = None
    apps: list[AppConfig] | None = Field(None, max_length=50)
