"""Every table, in one place, so one set of migrations serves SQLite and PostgreSQL."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from waitline.db.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(36)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    previous_slug: Mapped[str | None] = mapped_column(String(64), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "email_normalized"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class EmailTemplate(Base):
    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Waitlist(Base):
    __tablename__ = "waitlists"
    __table_args__ = (
        UniqueConstraint("workspace_id", "slug"),
        Index("ix_waitlists_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(Id)
    # The last signup order handed out: seq values are never reused.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Entries currently on the list (all states), for `max_entries`.
    entry_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("waitlist_id", "email_normalized"),
        UniqueConstraint("waitlist_id", "seq", name="uq_entries_waitlist_seq"),
        UniqueConstraint("waitlist_id", "referral_code", name="uq_entries_waitlist_referral_code"),
        Index("ix_entries_waitlist_created", "waitlist_id", "created_at", "id"),
        # The waiting part of the line in order, to count who is ahead within one bucket.
        Index(
            "ix_entries_line",
            "waitlist_id",
            "score",
            "seq",
            sqlite_where=text("waiting = 1"),
            postgresql_where=text("waiting"),
        ),
        Index(
            "ix_entries_leaderboard",
            "waitlist_id",
            text("referral_count DESC"),
            "seq",
            sqlite_where=text("referral_count > 0"),
            postgresql_where=text("referral_count > 0"),
        ),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    waitlist_id: Mapped[str] = mapped_column(ForeignKey("waitlists.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(Id, index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    interest: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))
    utm: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    referral_code: Mapped[str] = mapped_column(String(32))
    referral_count: Mapped[int] = mapped_column(Integer, default=0)
    # seq - referral_boost * referral_count: the line is ordered by (score, seq).
    score: Mapped[int] = mapped_column(BigInteger)
    # Whether the entry is in the line now (see entries.line.is_waiting).
    waiting: Mapped[bool] = mapped_column(Boolean)
    referred_by_entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), index=True
    )
    # True once the referrer has been credited for this entry.
    referral_credited: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
    invited_to_app_slug: Mapped[str | None] = mapped_column(String(64))
    invite_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_redeemed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    coupon: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    variant_id: Mapped[str | None] = mapped_column(Id)
    country: Mapped[str | None] = mapped_column(String(2))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LineBucket(Base):
    """How many waiting entries of a waitlist have a score in one bucket of scores (level
    0) or in one block of buckets (level 1), or wait at all (level 2, bucket 0); see
    entries/line.py.

    Kept in the same transaction as every change to the line (level 2 as it commits), so
    that a position is a sum over blocks and buckets ahead plus a count inside one bucket,
    not a count of the whole line.
    """

    __tablename__ = "line_buckets"
    # SQLite keeps the rows in the key's order, so a waitlist's sum reads them in one pass.
    __table_args__ = {"sqlite_with_rowid": False}

    waitlist_id: Mapped[str] = mapped_column(
        ForeignKey("waitlists.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class Variant(Base):
    __tablename__ = "variants"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    waitlist_id: Mapped[str] = mapped_column(
        ForeignKey("waitlists.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str | None] = mapped_column(String(35))
    copy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class VariantImpression(Base):
    __tablename__ = "variant_impressions"

    variant_id: Mapped[str] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class Event(Base):
    """The outbox: written in the transaction of the change it describes."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_workspace_created", "workspace_id", "created_at", "id"),
        Index("ix_events_workspace_type_created", "workspace_id", "type", "created_at", "id"),
        Index(
            "ix_events_not_fanned_out",
            "created_at",
            sqlite_where=text("fanned_out_at IS NULL"),
            postgresql_where=text("fanned_out_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    waitlist_id: Mapped[str | None] = mapped_column(Id)
    entry_id: Mapped[str | None] = mapped_column(Id, index=True)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    # Set once the worker has queued this event's webhook deliveries.
    fanned_out_at: Mapped[datetime | None]


class Message(Base):
    """An email to send, queued in the transaction of the change that calls for it."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_workspace_created", "workspace_id", "created_at"),
        Index(
            "ix_messages_due",
            "next_attempt_at",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    waitlist_id: Mapped[str | None] = mapped_column(Id)
    entry_id: Mapped[str | None] = mapped_column(Id, index=True)
    template: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(320))
    data: Mapped[dict[str, Any]]
    # queued, sent, kept (no SMTP configured: shown in the mail log), failed, skipped, erased
    status: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(200))
    # Event types to send; empty means every type.
    events: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_sealed: Mapped[str] = mapped_column(Text)
    # After a rotation the old secret signs alongside the new one until it expires.
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_attempt_at: Mapped[datetime | None]
    first_failure_at: Mapped[datetime | None]
    auto_disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event to send to one endpoint, retried until it succeeds or is given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_endpoint_event", "endpoint_id", "event_id"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(Id)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # pending, paused (its endpoint is off; not due until it is on again), succeeded,
    # failed (given up)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # A worker's claim: until then no other worker takes it; after, a dead worker's is retaken.
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint_created", "endpoint_id", "created_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[str] = mapped_column(Id)
    event_id: Mapped[str] = mapped_column(Id)
    event_type: Mapped[str] = mapped_column(String(64))
    attempt_number: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("credential_id", "key"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    credential_id: Mapped[str] = mapped_column(Id)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Null while the first request is still running.
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(index=True)


class ImportJob(Base):
    """A CSV import, run in batches: the counters, the problems by row and the referrals
    still to credit are saved with each batch, so a stopped job can carry on from there."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_waitlist_created", "waitlist_id", "created_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    waitlist_id: Mapped[str] = mapped_column(ForeignKey("waitlists.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    send_email: Mapped[bool] = mapped_column(Boolean)
    # The uploaded file, kept until the job is done (a failed job keeps it for a retry).
    # Deferred: up to 50 MiB, read once by the runner, not with every look at the job.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    total: Mapped[int] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # [{row, message}], data rows counted from 1.
    errors: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    ignored_columns: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # [[entry_id, referrer's normalised email, row]] whose referrer comes later in the file.
    pending_referrals: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
