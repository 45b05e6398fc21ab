"""Request and response models for waitlists, with every setting validated."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from waitline.kit.fields import HexColor, HttpUrlText, Name, Slug

STATUSES = ("draft", "open", "paused", "closed")
Status = Literal["draft", "open", "paused", "closed"]
FIELD_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PROMO_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
ShortText = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_field_key(value: str) -> str:
    if not FIELD_KEY_RE.match(value):
        raise ValueError(
            "must start with a lowercase letter and hold only a-z, 0-9 and _ (40 at most)"
        )
    return value


def _check_origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(
            "must be an origin such as https://example.com (scheme, host and port only)"
        )
    if parts.query or parts.fragment or parts.username:
        raise ValueError(
            "must be an origin such as https://example.com (scheme, host and port only)"
        )
    return value.rstrip("/").lower()


class CustomField(Strict):
    key: Annotated[str, AfterValidator(_check_field_key)]
    label: Name
    type: Literal["text", "number", "select", "checkbox", "email", "url"] = "text"
    required: bool = False
    options: list[ShortText] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _options_fit_type(self) -> "CustomField":
        if self.type == "select" and not self.options:
            raise ValueError("a select field needs at least one option")
        if self.type != "select" and self.options:
            raise ValueError("only select fields take options")
        return self


class Leaderboard(Strict):
    enabled: bool = False
    length: int = Field(10, ge=1, le=50)


class Captcha(Strict):
    provider: Literal["recaptcha", "turnstile", "hcaptcha"]
    site_key: Annotated[str, Field(min_length=1, max_length=200)]
    secret_key: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="Write-only: kept encrypted, never shown again."
    )
    secret_key_set: bool | None = Field(None, description="Read-only: whether a secret is stored.")
    min_score: float = Field(
        0.5, ge=0, le=1, description="reCAPTCHA v3 score below which to refuse."
    )


class Promo(Strict):
    code: Annotated[str, Field(pattern=PROMO_CODE_RE.pattern)]
    discount_type: Literal["flat", "percent"]
    discount_value: float = Field(gt=0)
    currency: str | None = Field(None, pattern=CURRENCY_RE.pattern)
    valid_days: int | None = Field(None, ge=1, le=3650)
    active: bool = True

    @model_validator(mode="after")
    def _discount_makes_sense(self) -> "Promo":
        if self.discount_type == "percent" and self.discount_value > 100:
            raise ValueError("a percent discount cannot exceed 100")
        if self.discount_type == "flat" and not self.currency:
            raise ValueError("a flat discount needs a currency (ISO 4217, e.g. USD)")
        return self


class PageContent(Strict):
    launch_date: date | None = None
    features: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=20
    )
    offer_title: ShortText | None = None
    current_price: Annotated[str, Field(max_length=40)] | None = None
    discount_price: Annotated[str, Field(max_length=40)] | None = None
    share_message: Annotated[str, Field(max_length=280)] | None = None
    logo_url: HttpUrlText | None = None
    theme_color: HexColor | None = None


class EmailSwitches(Strict):
    welcome: bool = True
    referral_credited: bool = True
    approved: bool = False
    rejected: bool = False
    invited: bool = True


class WaitlistSettings(Strict):
    """Every setting of a waitlist with its default."""

    max_entries: int | None = Field(None, ge=1)
    approval_required: bool = False
    double_opt_in: bool = False
    referral_boost: int = Field(1, ge=0, le=1_000_000)
    referral_same_ip_credit: bool = False
    referral_url: HttpUrlText | None = None
    collect_name: Literal["required", "optional", "hidden"] = "optional"
    custom_fields: list[CustomField] = Field(default_factory=list, max_length=30)
    confirmation_message: Annotated[str, Field(max_length=1000)] | None = None
    confirm_redirect_url: HttpUrlText | None = None
    confirm_error_url: HttpUrlText | None = None
    allowed_origins: list[Annotated[str, AfterValidator(_check_origin)]] = Field(
        default_factory=list, max_length=50
    )
    leaderboard: Leaderboard = Field(default_factory=Leaderboard)
    hide_counts: bool = False
    captcha: Captcha | None = None
    block_disposable_emails: bool = True
    promos: list[Promo] = Field(default_factory=list, max_length=50)
    page: PageContent = Field(default_factory=PageContent)
    emails: EmailSwitches = Field(default_factory=EmailSwitches)

    # Field validators, not a model validator, so that the error names the list it is about.
    @field_validator("custom_fields")
    @classmethod
    def _field_keys_unique(cls, fields: list[CustomField]) -> list[CustomField]:
        keys = [field.key for field in fields]
        if len(keys) != len(set(keys)):
            raise ValueError("each field needs its own key")
        return fields

    @field_validator("promos")
    @classmethod
    def _promo_codes_unique(cls, promos: list[Promo]) -> list[Promo]:
        codes = [promo.code.lower() for promo in promos]
        if len(codes) != len(set(codes)):
            raise ValueError("each promo needs its own code (ignoring case)")
        return promos


SETTINGS_DOC = (
    "Settings to change (see WaitlistSettings). PATCH merges shallowly: each key given "
    "replaces the stored value, null restores the default, unknown keys are refused."
)
SettingsPatch = Annotated[dict[str, Any], Field(description=SETTINGS_DOC)]


class WaitlistCreate(Strict):
    slug: Slug
    display_name: Name
    description: Annotated[str, Field(max_length=5000)] | None = None
    status: Status = "draft"
    settings: SettingsPatch | None = None


class WaitlistUpdate(Strict):
    slug: Slug | None = None
    display_name: Name | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    status: Status | None = None
    settings: SettingsPatch | None = None


class StatusChange(Strict):
    status: Status


class WaitlistOut(BaseModel):
    id: str
    workspace_id: str
    workspace_slug: str
    slug: str
    display_name: str
    description: str | None
    status: Status
    settings: WaitlistSettings
    created_by: str | None
    previous_workspace_slug: str | None
    created_at: datetime
    updated_at: datetime


class Brand(BaseModel):
    name: str
    logo_url: str | None
    primary_color: str | None


class PublicCaptcha(BaseModel):
    provider: str
    site_key: str


class PublicForm(BaseModel):
    collect_name: str
    custom_fields: list[CustomField]
    captcha: PublicCaptcha | None


class PublicReferral(BaseModel):
    enabled: bool
    boost: int


class PublicInfo(BaseModel):
    """What anyone may know about a waitlist, in the copy of the variant chosen for them."""

    workspace_slug: str
    slug: str
    display_name: str
    description: str | None
    confirmation_message: str
    status: Status
    locale: str | None
    variant_id: str | None
    brand: Brand
    form: PublicForm
    referral: PublicReferral
    leaderboard: Leaderboard
    page: PageContent
    signup_count: int | None = Field(
        None, exclude_if=lambda count: count is None, description="Left out under hide_counts."
    )


# Variants: other copy for the same waitlist, per language or as an A/B test.

VariantKind = Literal["ab", "locale"]
Weight = Annotated[
    int,
    Field(strict=True, ge=0, le=1000, description="Share of A/B draws; 0 never draws it."),
]
LocaleTag = Annotated[
    str, Field(max_length=35, description="BCP-47 tag such as pt-BR; pt_br is accepted.")
]


class VariantCopy(BaseModel):
    """Copy shown instead of the waitlist's own; a key left out or null keeps the waitlist's.

    Keys other than these are dropped, not refused (the contract says so)."""

    model_config = ConfigDict(extra="ignore")

    display_name: Name | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    confirmation_message: Annotated[str, Field(max_length=1000)] | None = None


class VariantCreate(Strict):
    kind: VariantKind
    locale: LocaleTag | None = Field(None, description="Required for locale variants only.")
    # `copy_` in Python, so as not to shadow BaseModel.copy; `copy` on the wire.
    copy_: VariantCopy = Field(default_factory=VariantCopy, alias="copy")
    weight: Weight = Field(1, description="Used by A/B variants; stored as 1 for locale ones.")
    active: bool = True


class VariantUpdate(Strict):
    """Fields to change. `copy` merges by key (null clears one); `kind` cannot change."""

    kind: VariantKind | None = Field(None, description="May be sent, but only unchanged.")
    locale: LocaleTag | None = None
    copy_: VariantCopy | None = Field(None, alias="copy")
    weight: Weight | None = Field(None, description="Ignored for locale variants.")
    active: bool | None = None

    @field_validator("kind", "copy_", "weight", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


class VariantCopyOut(BaseModel):
    display_name: str | None
    description: str | None
    confirmation_message: str | None


class VariantOut(BaseModel):
    id: str
    waitlist_id: str
    kind: VariantKind
    locale: str | None
    copy_: VariantCopyOut = Field(alias="copy")
    weight: int
    active: bool
    created_at: datetime
    updated_at: datetime
