"""Rules for moving people in and out of a waitlist as CSV.

Export streams the entries the list would show, in keyset batches, each batch read in its
own short transaction, so memory stays flat however long the list is.

Import is a job. The file is checked and stored at upload; `jobs.run_import` then plans it
(every row checked, duplicates within the file found, the rows put in signup order) and
adds the people in batches through `entries.service.add_entry`, the same code a signup
goes through, so each imported entry gets its seq, score, bucket, referral credit,
`entry.created` event and (only when asked) its email exactly as a signup would.
"""

import csv
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from waitline.db.models import Entry, ImportJob, Waitlist, Workspace
from waitline.db.session import Database
from waitline.entries import admin, line
from waitline.entries import repository as entries
from waitline.entries import service as entry_service
from waitline.entries.admin import EntryFilters
from waitline.entries.checks import check_join
from waitline.entries.emails import check_email
from waitline.entries.links import Links
from waitline.entries.schemas import JoinRequest, Utm
from waitline.entries.service import NewEntry, WaitlistContext
from waitline.imports import repository
from waitline.imports.csv_format import (
    CsvFile,
    UnreadableCsv,
    cell,
    count_records,
    csv_lines,
    parse_bool,
    parse_number,
    parse_time,
    read_csv,
)
from waitline.imports.schemas import ImportJobOut, RowProblem
from waitline.kit.errors import NotFound, ValidationFailed, WaitlineError
from waitline.kit.ids import is_uuid, new_id
from waitline.waitlists.schemas import WaitlistSettings

EXPORT_BATCH = 1000
MAX_REPORTED_ERRORS = 1000
EXPORT_COLUMNS = (
    "id",
    "email",
    "name",
    "phone",
    "interest",
    "referrer",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referral_code",
    "referral_count",
    "referred_by_email",
    "position",
    "status",
    "verified",
    "verified_at",
    "invited_at",
    "invited_to_app_slug",
    "unsubscribed_at",
    "country",
    "created_at",
)
# What an import takes from a file. The rest of the export's columns are the list's own
# bookkeeping (ids, codes, counts, positions, source "import"), made afresh on import and
# ignored without a word, so that an exported file imports cleanly.
IMPORTED_COLUMNS = frozenset(
    {
        "email",
        "name",
        "phone",
        "interest",
        "referrer",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "referred_by_email",
        "status",
        "verified",
        "verified_at",
        "invited_at",
        "invited_to_app_slug",
        "unsubscribed_at",
        "country",
        "created_at",
    }
)
REMADE_COLUMNS = frozenset(EXPORT_COLUMNS) - IMPORTED_COLUMNS
TIME_COLUMNS = ("created_at", "verified_at", "invited_at", "unsubscribed_at")
STATUSES = ("pending", "approved", "rejected")


# --- export ---------------------------------------------------------------------------


def custom_columns(settings: WaitlistSettings) -> dict[str, str]:
    """Column name -> custom field key: the key itself, or `metadata.<key>` for a key that
    is also the name of one of the entry's own columns."""
    return {
        (f"metadata.{field.key}" if field.key in EXPORT_COLUMNS else field.key): field.key
        for field in settings.custom_fields
    }


def export_filename(ctx: WaitlistContext) -> str:
    return f"{ctx.workspace.slug}-{ctx.waitlist.slug}-entries-{ctx.now:%Y-%m-%d}.csv"


def export_header(ctx: WaitlistContext) -> list[str]:
    return [*EXPORT_COLUMNS, *custom_columns(ctx.settings)]


def export_csv(
    db: Database,
    ctx: WaitlistContext,
    filters: EntryFilters,
    sort: str,
    *,
    batch_size: int = EXPORT_BATCH,
) -> Iterator[str]:
    """The CSV text: the header, then one chunk per batch of entries."""
    yield csv_lines([export_header(ctx)])
    for rows in export_batches(db, ctx, filters, sort, batch_size=batch_size):
        yield csv_lines(rows)


def export_batches(
    db: Database,
    ctx: WaitlistContext,
    filters: EntryFilters,
    sort: str,
    *,
    batch_size: int = EXPORT_BATCH,
) -> Iterator[list[list[str]]]:
    """The matching entries as rows of cells, a batch at a time: each batch is one keyset
    page of the entries list (same filters, same order), read in its own short read
    transaction, so neither memory nor a held connection grows with the list.

    Positions: the whole list in line order (sort "position", no filter) counts them as it
    goes, anchored at each batch's first waiting entry with one `position_of`; any other
    export asks `line.positions_of_entries` once per batch. Neither counts the line per
    row. Positions are those of the moment each batch was read."""
    field_keys = list(custom_columns(ctx.settings).values())
    in_line_order = sort == "position" and filters == EntryFilters()
    cursor = None
    while True:
        with db.transaction(write=False) as session:
            page, cursor = admin.list_by_cursor(
                session, ctx, filters, sort=sort, limit=batch_size, cursor=cursor
            )
            positions = _positions(session, ctx.waitlist.id, page, in_line_order)
            referrers = repository.referrer_emails(
                session, [e.id for e in page if e.referred_by_entry_id]
            )
            rows = [
                _export_row(e, positions.get(e.id), referrers.get(e.id), field_keys) for e in page
            ]
        if rows:
            yield rows
        if cursor is None:
            return


def _positions(
    session: Session, waitlist_id: str, page: list[Entry], in_line_order: bool
) -> dict[str, int]:
    waiting = [e for e in page if e.waiting]
    if not waiting:
        return {}
    if in_line_order:
        first = line.position_of(session, waitlist_id, waiting[0].score, waiting[0].seq)
        return {entry.id: first + i for i, entry in enumerate(waiting)}
    return line.positions_of_entries(session, waitlist_id, [e.id for e in waiting])


def _export_row(
    entry: Entry, position: int | None, referred_by_email: str | None, field_keys: list[str]
) -> list[str]:
    utm, metadata = entry.utm or {}, entry.metadata_ or {}
    values = {
        "id": entry.id,
        "email": entry.email,
        "name": entry.name,
        "phone": entry.phone,
        "interest": entry.interest,
        "referrer": entry.referrer,
        "source": entry.source,
        "utm_source": utm.get("source"),
        "utm_medium": utm.get("medium"),
        "utm_campaign": utm.get("campaign"),
        "referral_code": entry.referral_code,
        "referral_count": entry.referral_count,
        "referred_by_email": referred_by_email,
        "position": position,
        "status": entry.status,
        "verified": entry.verified,
        "verified_at": entry.verified_at,
        "invited_at": entry.invited_at,
        "invited_to_app_slug": entry.invited_to_app_slug,
        "unsubscribed_at": entry.unsubscribed_at,
        "country": entry.country,
        "created_at": entry.created_at,
    }
    return [cell(values[name]) for name in EXPORT_COLUMNS] + [
        cell(metadata.get(key)) for key in field_keys
    ]


# --- import: the job ------------------------------------------------------------------


def create_job(
    session: Session,
    ctx: WaitlistContext,
    *,
    content: bytes,
    filename: str | None,
    send_email: bool,
) -> ImportJob:
    """Check that the file can be read and has an email column, and queue it as a job.
    Row-by-row problems are the job's to report, not the upload's."""
    try:
        csv_file = readable_csv(content)
        total = count_records(csv_file)
    except (UnreadableCsv, csv.Error) as exc:
        raise ValidationFailed({"file": [str(exc)]}) from None
    job = ImportJob(
        id=new_id(),
        workspace_id=ctx.workspace.id,
        waitlist_id=ctx.waitlist.id,
        status="queued",
        filename=(filename or "")[:255] or None,
        send_email=send_email,
        content=content,
        total=total,
        processed=0,
        imported=0,
        skipped=0,
        errors=[],
        ignored_columns=ignored_columns(csv_file.columns, ctx.settings),
        pending_referrals=[],
        created_at=ctx.now,
        updated_at=ctx.now,
        finished_at=None,
    )
    session.add(job)
    session.flush()
    return job


def readable_csv(content: bytes) -> CsvFile:
    csv_file = read_csv(content)
    if "email" not in csv_file.columns:
        raise UnreadableCsv("The file needs an `email` column.")
    return csv_file


def ignored_columns(columns: list[str], settings: WaitlistSettings) -> list[str]:
    known = IMPORTED_COLUMNS | REMADE_COLUMNS | _field_columns(settings).keys()
    return [
        name or f"(column {i + 1}, unnamed)" for i, name in enumerate(columns) if name not in known
    ]


def job_for(session: Session, ctx: WaitlistContext, job_id: str) -> ImportJob:
    job = repository.job_of(session, ctx.waitlist.id, job_id) if is_uuid(job_id) else None
    if job is None:
        raise NotFound("No import with this id on this waitlist.")
    return job


def job_out(job: ImportJob) -> ImportJobOut:
    return ImportJobOut(
        id=job.id,
        status=job.status,
        filename=job.filename,
        send_email=job.send_email,
        total=job.total,
        processed=job.processed,
        imported=job.imported,
        skipped=job.skipped,
        errors=[RowProblem(**problem) for problem in job.errors],
        ignored_columns=job.ignored_columns,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def claim_job(
    session: Session,
    job_id: str,
    *,
    resume: bool,
    now: datetime,
    stale_before: datetime | None = None,
) -> ImportJob | None:
    """The job, now running; None if it is not there to run. `resume` also takes a job
    left running or failed (a crash, a stop), and `stale_before` one left running without
    progress since then; either carries on after `processed`."""
    statuses = ("queued", "running", "failed") if resume else ("queued",)
    claimed = repository.claim(
        session, job_id, from_statuses=statuses, now=now, stale_before=stale_before
    )
    if not claimed:
        return None
    job = session.get(ImportJob, job_id, populate_existing=True)
    if job.processed or job.errors:  # resumed: the note of how it stopped is history now
        job.errors = [problem for problem in job.errors if problem["row"] != 0]
        job.finished_at = None
    return job


def job_context(session: Session, job: ImportJob, links: Links, now: datetime) -> WaitlistContext:
    """The waitlist as it is now; quiet unless the upload asked for email."""
    workspace = session.get(Workspace, job.workspace_id)
    waitlist = session.get(Waitlist, job.waitlist_id)
    ctx = WaitlistContext.of(workspace, waitlist, links, now)
    return dataclasses.replace(ctx, send_email=job.send_email)


def context_by_slugs(session: Session, ref: str, links: Links, now: datetime) -> WaitlistContext:
    """`WORKSPACE/WAITLIST` by slugs, as the command line names a waitlist."""
    workspace_slug, _, waitlist_slug = ref.partition("/")
    found = repository.waitlist_by_slugs(session, workspace_slug, waitlist_slug)
    if found is None:
        raise NotFound(f"No waitlist {ref!r}: give it as WORKSPACE/WAITLIST slugs.")
    return WaitlistContext.of(*found, links, now)


# --- import: planning the rows --------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One data row: the entry it adds, or why it adds none."""

    row: int
    entry: NewEntry | None = None
    referred_by: str | None = None  # the referrer's normalised email
    problem: str | None = None


@dataclass(frozen=True)
class Plan:
    """Every row in the order it is handled: rows with problems first, then the good ones
    in signup order (created_at, then file order; no created_at counts as now), so that
    each gets its seq, and so its place in line, in the order they originally joined.
    The order depends only on the file, so a stopped job resumes after `processed`."""

    rows: list[Planned]


def plan_import(content: bytes, settings: WaitlistSettings, now: datetime) -> Plan:
    csv_file = readable_csv(content)
    fields = _field_columns(settings)
    # An import is the team's own list: the public form's demands (a name, required
    # custom fields, no throwaway domains) do not apply; formats and lengths do.
    relaxed = settings.model_copy(
        update={
            "block_disposable_emails": False,
            "collect_name": "optional",
            "custom_fields": [
                field.model_copy(update={"required": False}) for field in settings.custom_fields
            ],
        }
    )
    width = len(csv_file.columns)
    problems: list[Planned] = []
    good: list[tuple[datetime, Planned]] = []
    first_row_of: dict[str, int] = {}
    for row, cells in csv_file.records():
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(
                Planned(row, problem=f"The row has {len(cells)} cells; the header names {width}.")
            )
            continue
        # A short row (trailing empty cells left out) reads as empty cells.
        values = {name: value for name, value in zip(csv_file.columns, cells, strict=False) if name}
        try:
            planned = _planned(row, values, fields, relaxed, now)
        except _BadRow as bad:
            problems.append(Planned(row, problem=str(bad)))
            continue
        email = planned.entry.email.normalized
        if email in first_row_of:
            problems.append(
                Planned(row, problem=f"Duplicate of row {first_row_of[email]}: the same email.")
            )
            continue
        first_row_of[email] = row
        good.append((planned.entry.created_at or now, planned))
    good.sort(key=lambda item: (item[0], item[1].row))
    return Plan(problems + [planned for _, planned in good])


class _BadRow(ValueError):
    pass


def _field_columns(settings: WaitlistSettings) -> dict[str, Any]:
    """Column name -> custom field, under both the name an export gives it and
    `metadata.<key>`."""
    by_column = {f"metadata.{field.key}": field for field in settings.custom_fields}
    by_key = {field.key: field for field in settings.custom_fields}
    by_column.update({column: by_key[key] for column, key in custom_columns(settings).items()})
    return by_column


def _planned(
    row: int,
    values: dict[str, str],
    fields: dict[str, Any],
    settings: WaitlistSettings,
    now: datetime,
) -> Planned:
    def text(name: str) -> str | None:
        return values.get(name, "").strip() or None

    times: dict[str, datetime | None] = {}
    for name in TIME_COLUMNS:
        given = text(name)
        try:
            times[name] = parse_time(given) if given else None
        except ValueError:
            raise _BadRow(f"{name}: {given!r} is not an ISO-8601 date or date-time.") from None
        if times[name] is not None and times[name] > now:
            raise _BadRow(f"{name}: {given!r} is in the future.")
    status = (text("status") or "pending").lower()
    if status not in STATUSES:
        raise _BadRow(f"status: {text('status')!r} is not one of {', '.join(STATUSES)}.")
    try:
        verified = parse_bool(values.get("verified", ""))
    except ValueError:
        raise _BadRow(f"verified: {text('verified')!r} is not true or false.") from None
    verified = verified or times["verified_at"] is not None
    country = text("country")
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise _BadRow(f"country: {country!r} is not a two-letter country code.")
    app_slug = text("invited_to_app_slug")
    if app_slug is not None and len(app_slug) > 64:
        raise _BadRow("invited_to_app_slug: must be at most 64 characters.")
    referred_by = None
    if text("referred_by_email"):
        try:
            referred_by = check_email(text("referred_by_email")).normalized
        except ValueError as exc:
            raise _BadRow(f"referred_by_email: not a valid email address: {exc}.") from None

    utm = {part: text(f"utm_{part}") for part in ("source", "medium", "campaign")}
    metadata = {
        field.key: _answer(field.type, value.strip())
        for column, field in fields.items()
        if (value := values.get(column, "")).strip()
    }
    try:
        request = JoinRequest(
            email=values.get("email", "").strip(),
            name=text("name"),
            phone=text("phone"),
            interest=text("interest"),
            referrer=text("referrer"),
            utm=Utm(**utm) if any(utm.values()) else None,
            metadata=metadata,
        )
        checked = check_join(settings, request)
    except ValidationError as exc:
        raise _BadRow(_pydantic_problem(exc)) from None
    except ValidationFailed as exc:
        raise _BadRow(
            "; ".join(f"{field}: {messages[0]}" for field, messages in (exc.errors or {}).items())
        ) from None
    created_at = times["created_at"]
    entry = NewEntry(
        email=checked.email,
        source="import",
        name=checked.name,
        phone=request.phone,
        interest=request.interest,
        referrer=request.referrer,
        utm=request.utm.model_dump() if request.utm else None,
        metadata=checked.metadata,
        country=country.upper() if country else None,
        status=status,
        verified=verified,
        verified_at=(times["verified_at"] or created_at or now) if verified else None,
        invited_at=times["invited_at"],
        invited_to_app_slug=app_slug,
        unsubscribed_at=times["unsubscribed_at"],
        created_at=created_at,
    )
    return Planned(row, entry=entry, referred_by=referred_by)


def _answer(field_type: str, value: str) -> Any:
    """A cell as the JSON value a custom field takes; left as text when it is not one, so
    that the field's own check says what is wrong."""
    if field_type == "number":
        return parse_number(value)
    if field_type == "checkbox":
        try:
            return parse_bool(value)
        except ValueError:
            return value
    return value


def _pydantic_problem(exc: ValidationError) -> str:
    def where(error) -> str:
        loc = [str(part) for part in error["loc"]]
        return "_".join(loc) if loc and loc[0] == "utm" else ".".join(loc)

    return "; ".join(f"{where(error)}: {error['msg']}" for error in exc.errors())


# --- import: adding the rows ----------------------------------------------------------


@dataclass
class BatchResult:
    imported: int = 0
    skipped: int = 0
    problems: list[RowProblem] = dataclasses.field(default_factory=list)
    # [entry id, referrer's normalised email, row] for referrers not on the list yet.
    pending_referrals: list[list[Any]] = dataclasses.field(default_factory=list)


def import_rows(session: Session, ctx: WaitlistContext, rows: list[Planned]) -> BatchResult:
    """Add each good row through `add_entry`, each in its own savepoint, so that a row
    that fails (already on the list, the list full) fails alone."""
    result = BatchResult()
    for planned in rows:
        if planned.entry is None:
            result.skipped += 1
            result.problems.append(RowProblem(row=planned.row, message=planned.problem))
            continue
        self_referred = planned.referred_by == planned.entry.email.normalized
        referrer = (
            repository.referrer_by_email(session, ctx.waitlist.id, planned.referred_by)
            if planned.referred_by and not self_referred
            else None
        )
        try:
            with session.begin_nested():
                entry, _ = entry_service.add_entry(
                    session, ctx, planned.entry, referred_by=referrer, signup=False
                )
        except WaitlineError as error:
            result.skipped += 1
            result.problems.append(RowProblem(row=planned.row, message=_why_not(error)))
            continue
        result.imported += 1
        if self_referred:
            result.problems.append(
                RowProblem(
                    row=planned.row,
                    message="referred_by_email: a person cannot refer themselves; "
                    "imported without the referral.",
                )
            )
        elif planned.referred_by and referrer is None:
            result.pending_referrals.append([entry.id, planned.referred_by, planned.row])
    return result


def _why_not(error: WaitlineError) -> str:
    if error.code == "already_registered":
        return "Already on the waitlist: the same email."
    return error.detail


def record_batch(job: ImportJob, result: BatchResult, rows: int, now: datetime) -> None:
    job.processed += rows
    job.imported += result.imported
    job.skipped += result.skipped
    job.errors = _reported(job.errors, result.problems)
    job.pending_referrals = [*job.pending_referrals, *result.pending_referrals]
    job.updated_at = now


def credit_pending_referrals(
    session: Session, ctx: WaitlistContext, pending: list[list[Any]]
) -> list[RowProblem]:
    """The second pass: referrals whose referrer came later in the file. Each is set and
    credited as at signup, the import being the moment the entry started waiting
    (`credit_referral`); doing it twice changes nothing."""
    problems = []
    for entry_id, referrer_email, row in pending:
        entry = entries.by_id(session, ctx.waitlist.id, entry_id)
        if entry is None or entry.referred_by_entry_id is not None:
            continue  # erased since, or already done
        referrer = repository.referrer_by_email(session, ctx.waitlist.id, referrer_email)
        if referrer is None:
            problems.append(
                RowProblem(
                    row=row,
                    message="referred_by_email: nobody with this address is on the waitlist; "
                    "imported without the referral.",
                )
            )
            continue
        entry.referred_by_entry_id = referrer.id
        session.flush()
        entry_service.credit_referral(session, ctx, entry)
    return problems


def finish(job: ImportJob, problems: list[RowProblem], now: datetime) -> None:
    job.errors = _reported(job.errors, problems)
    job.status, job.finished_at, job.updated_at = "done", now, now
    job.pending_referrals = []
    job.content = None  # the file holds personal data; the entries have it now


def fail(job: ImportJob, message: str, now: datetime) -> None:
    """Stopped: kept with its file, so that it can be resumed."""
    job.errors = _reported(job.errors, [RowProblem(row=0, message=message)])
    job.status, job.finished_at, job.updated_at = "failed", now, now


def _reported(errors: list[dict[str, Any]], problems: list[RowProblem]) -> list[dict[str, Any]]:
    """By row, the first MAX_REPORTED_ERRORS; `skipped` still counts them all."""
    merged = [*errors, *(p.model_dump() for p in problems)]
    merged.sort(key=lambda problem: problem["row"])
    return merged[:MAX_REPORTED_ERRORS]
