"""Request and response models for webhook endpoints, their delivery log, tests and
replays."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from waitline.outbox.schemas import EventType


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _dedupe(events: list[str] | None) -> list[str] | None:
    return None if events is None else list(dict.fromkeys(events))


class EndpointCreate(Strict):
    # Only the length here: the rules (scheme, credentials, addresses) depend on the
    # settings and on DNS, and are the service's (ssrf.py).
    url: str = Field(min_length=1, max_length=2000)
    # Event types to send; empty (the default) means every type, new ones included.
    events: list[EventType] = Field(default_factory=list)
    active: bool = True
    description: str | None = Field(default=None, max_length=200)

    _unique_events = field_validator("events")(_dedupe)


class EndpointUpdate(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[EventType] | None = None
    active: bool | None = None
    description: str | None = Field(default=None, max_length=200)

    _unique_events = field_validator("events")(_dedupe)

    @model_validator(mode="after")
    def _no_nulls(self) -> "EndpointUpdate":
        for name in ("url", "events", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null; leave it out to keep it")
        return self


class EndpointOut(BaseModel):
    id: str
    url: str
    description: str | None
    events: list[str]
    active: bool
    failure_count: int
    last_status_code: int | None
    last_attempt_at: datetime | None
    first_failure_at: datetime | None
    auto_disabled_at: datetime | None
    # Until then the secret replaced by the last rotation signs alongside the new one.
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    """Create and rotate answer the signing secret; nothing else ever shows it again."""

    signing_secret: str


class SyntheticEventIn(Strict):
    """`POST .../test`: the event type to fake, and a waitlist to fake it for."""

    event: EventType
    waitlist_id: str | None = None


class ReplayIn(Strict):
    since: datetime
    until: datetime | None = None
    only_failed: bool = True


class ReplayOut(BaseModel):
    enqueued: int


class AttemptOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    attempt_number: int
    status_code: int | None
    response_body: str | None
    error_message: str | None
    latency_ms: int
    created_at: datetime
