"""Request and response models for people joining and following their place in line."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from waitline.kit.fields import RequestBody

Text200 = Annotated[str, Field(max_length=200)]


class Utm(RequestBody):
    model_config = ConfigDict(extra="forbid")

    source: Text200 | None = None
    medium: Text200 | None = None
    campaign: Text200 | None = None


class JoinRequest(RequestBody):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # Checked by entries.emails, so that a bad address gets `invalid_email`.
    email: Annotated[str, Field(max_length=1000)]
    name: Text200 | None = None
    phone: Annotated[str, Field(max_length=40, pattern=r"^\+?[0-9 ().-]{3,40}$")] | None = None
    interest: Annotated[str, Field(max_length=1000)] | None = None
    referrer: Annotated[str, Field(max_length=500)] | None = None
    referral_code: Annotated[str, Field(max_length=64)] | None = None
    metadata: dict[str, Any] | None = Field(
        None, description="Answers to the waitlist's custom fields, by field key."
    )
    promo: Annotated[str, Field(max_length=64)] | None = None
    source: Literal["form", "api", "widget"] = "api"
    utm: Utm | None = None
    variant_id: Annotated[str, Field(max_length=36)] | None = None
    captcha_token: Annotated[str, Field(max_length=4096)] | None = Field(
        None, validation_alias=AliasChoices("captcha_token", "recaptcha_token")
    )
    website: Annotated[str, Field(max_length=1000)] | None = Field(
        None, description="Honeypot: leave empty. Bots that fill it are quietly ignored."
    )


class Coupon(BaseModel):
    code: str
    discount_type: Literal["flat", "percent"]
    discount_value: float
    currency: str | None
    expires_at: datetime | None


class JoinResponse(BaseModel):
    id: str
    email: str
    name: str | None
    position: int | None
    priority: int | None
    referral_code: str
    referral_link: str
    referral_count: int
    status: str
    verified: bool
    requires_confirmation: bool
    status_token: str
    status_url: str
    coupon: Coupon | None
    message: str
    created_at: datetime


class StatusResponse(BaseModel):
    position: int | None
    priority: int | None
    referral_count: int
    referral_code: str
    referral_link: str
    status: str
    verified: bool
    invited: bool
    created_at: datetime
    waiting_count: int | None = Field(
        None, exclude_if=lambda count: count is None, description="Left out under hide_counts."
    )


class StatusLinkRequest(RequestBody):
    email: Annotated[str, Field(max_length=1000)]


class LeaderboardRow(BaseModel):
    rank: int
    position: int | None
    referral_count: int
    masked_email: str
    display_name: str | None


class Leaderboard(BaseModel):
    data: list[LeaderboardRow]


class Confirmed(BaseModel):
    status: Literal["verified"] = "verified"
    position: int | None


class EntryOut(BaseModel):
    """An entry as the admin API and events show it."""

    id: str
    waitlist_id: str
    workspace_id: str
    email: str
    name: str | None
    phone: str | None
    interest: str | None
    referrer: str | None
    source: str
    utm: dict[str, Any] | None
    referral_code: str
    referral_link: str
    referral_count: int
    referred_by_entry_id: str | None
    position: int | None
    priority: int | None
    status: str
    verified: bool
    verified_at: datetime | None
    invited_at: datetime | None
    invited_to_app_slug: str | None
    invite_code: str | None
    unsubscribed_at: datetime | None
    coupon: dict[str, Any] | None
    variant_id: str | None
    country: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class EntryPatch(RequestBody):
    model_config = ConfigDict(extra="forbid")

    status: Literal["approved", "rejected"] | None = None
    name: Text200 | None = None
    metadata: dict[str, Any] | None = None


class EntryCounts(BaseModel):
    total: int
    waiting: int
    pending: int
    approved: int
    rejected: int
    verified: int
    unverified: int
    invited: int
    unsubscribed: int


class PageMeta(BaseModel):
    total: int
    per_page: int
    current_page: int
    last_page: int


class EntryOffsetPage(BaseModel):
    data: list[EntryOut]
    meta: PageMeta
