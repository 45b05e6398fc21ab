"""The `waitline` command: serve, migrate, init, demo, import, export."""

import json
import secrets
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from waitline.auth.service import create_api_key, create_user
from waitline.config import load_settings
from waitline.db.migrate import upgrade
from waitline.db.models import Workspace
from waitline.db.session import Database
from waitline.demo.generate import fill_demo
from waitline.entries import admin
from waitline.entries.links import Links
from waitline.imports import jobs
from waitline.imports import service as imports
from waitline.imports.csv_format import csv_lines
from waitline.kit.clock import Clock
from waitline.kit.crypto import SecretBox
from waitline.kit.errors import WaitlineError
from waitline.kit.fields import check_email_syntax, check_slug
from waitline.workspaces.service import create_workspace

app = typer.Typer(
    help="Waitline: a self-hosted waitlist and referral platform.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)  # so `init --json` leaves stdout to the JSON alone


def _checked(check):
    """A typer callback that runs a field check and reports the option it failed on."""

    def callback(value: str) -> str:
        try:
            return check(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None

    return callback


def _migrated_database() -> Database:
    settings = load_settings()
    db = Database(settings.resolved_database_url)
    upgrade(db.engine)
    return db


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    _migrated_database().dispose()
    console.print("[green]Database is up to date.[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="HTTP worker processes.")] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run the delivery worker in-process.")
    ] = False,
) -> None:
    """Apply migrations, then serve the API (with the delivery worker, unless --no-worker)."""
    import os

    import uvicorn

    from waitline.app import configure_logging

    configure_logging()
    if no_worker:
        # The app processes uvicorn starts read their settings from the environment.
        os.environ["WAITLINE_RUN_WORKER"] = "false"
    # Made (or read) once here, before app processes start, so that they all share one key.
    _ = load_settings().resolved_secret_key
    db = _migrated_database()
    with db.transaction(write=False) as session:
        workspaces = session.scalar(select(func.count()).select_from(Workspace))
    db.dispose()
    console.print(f"Waitline on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if not workspaces:
        console.print(
            "No workspace yet. Open the one-time console setup link logged below, or create"
            " one with its owner and an API key:\n"
            "  [bold].venv/bin/waitline init[/bold]   (or `waitline init` where it is installed)"
        )
    uvicorn.run(
        "waitline.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
        access_log=False,
    )


@app.command()
def worker() -> None:
    """Run the delivery worker alone (webhooks, email, imports); several may run at once."""
    import anyio

    from waitline.app import collect_garbage_less_often, configure_logging, shorten_gil_handoffs
    from waitline.kit.clock import Clock
    from waitline.outbox.worker import Worker, give_way_to_requests, pacing_for

    configure_logging()
    shorten_gil_handoffs()
    db = _migrated_database()
    collect_garbage_less_often()
    settings = load_settings()
    give_way_to_requests(settings.worker_nice)

    async def run() -> None:
        stop = anyio.Event()
        runner = Worker(db, settings, Clock(), pacing=pacing_for(settings))
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(runner.run, stop)
                async for _ in signals:
                    stop.set()
                    break

    anyio.run(run)
    db.dispose()


@app.command()
def init(
    workspace: Annotated[
        str, typer.Option(help="Slug of the workspace to create.", callback=_checked(check_slug))
    ] = "default",
    email: Annotated[
        str, typer.Option(help="The owner's email.", callback=_checked(check_email_syntax))
    ] = "owner@example.com",
    password: Annotated[
        str | None, typer.Option(help="The owner's password (generated if not given).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a workspace, its owner and a write API key; print them (the key only this once)."""
    password = password or secrets.token_urlsafe(12)
    db = _migrated_database()
    now = Clock().now()
    try:
        with db.transaction() as session:
            ws = create_workspace(session, slug=workspace, name=workspace, now=now)
            create_user(
                session, workspace_id=ws.id, email=email, password=password, role="owner", now=now
            )
            key, plaintext = create_api_key(
                session, workspace_id=ws.id, name="init", scope="write", now=now
            )
    except WaitlineError as exc:
        errors.print(exc.detail, style="red", markup=False)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    result = {
        "workspace_id": ws.id,
        "workspace_slug": ws.slug,
        "email": email,
        "password": password,
        "api_key_id": key.id,
        "api_key": plaintext,
    }
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(title="Waitline workspace created", show_header=False)
    for name, value in result.items():
        table.add_row(name, value)
    console.print(table)
    console.print(
        "The API key is shown only now. Try:\n"
        f"  curl -H 'Authorization: Bearer {plaintext}' {load_settings().base_url}/v1/me"
    )


WaitlistRef = Annotated[
    str, typer.Option("--waitlist", help="The waitlist, as WORKSPACE/WAITLIST slugs.")
]


def _progress(console_: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console_,
    )


@app.command("import")
def import_entries(
    file: Annotated[
        Path, typer.Argument(help="A CSV file with an email column.", exists=True, dir_okay=False)
    ],
    waitlist: WaitlistRef,
    send_email: Annotated[
        bool, typer.Option("--send-email", help="Send each person the email a signup gets.")
    ] = False,
) -> None:
    """Import people from a CSV file, as the API's import job does."""
    settings = load_settings()
    db = _migrated_database()
    links, clock = Links(settings.base_url, settings.resolved_secret_key), Clock()
    try:
        with db.transaction() as session:
            ctx = imports.context_by_slugs(session, waitlist, links, clock.now())
            job = imports.create_job(
                session, ctx, content=file.read_bytes(), filename=file.name, send_email=send_email
            )
            job_id, total = job.id, job.total
        with _progress(console) as progress:
            task = progress.add_task(f"Importing {file.name}", total=total)
            result = jobs.run_import(
                db,
                job_id,
                links=links,
                clock=clock,
                progress=lambda job: progress.update(task, completed=job.processed),
            )
    except WaitlineError as exc:
        errors.print(exc.detail, style="red", markup=False)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    console.print(
        f"Imported {result.imported} of {result.total} rows; skipped {result.skipped}. "
        f"Import id {result.id}.",
        soft_wrap=True,
    )
    if result.ignored_columns:
        ignored = ", ".join(result.ignored_columns)
        console.print(f"Ignored columns: {ignored}", markup=False, soft_wrap=True)
    if result.errors:
        console.print("Rows with problems:")
        for problem in result.errors:
            console.print(f"  row {problem.row}: {problem.message}", markup=False, soft_wrap=True)


@app.command("export")
def export_entries(
    waitlist: WaitlistRef,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Export every entry of a waitlist as CSV, in line order, as the API's export does."""
    settings = load_settings()
    db = _migrated_database()
    links, clock = Links(settings.base_url, settings.resolved_secret_key), Clock()
    try:
        with db.transaction(write=False) as session:
            ctx = imports.context_by_slugs(session, waitlist, links, clock.now())
            total = admin.count_entries(session, ctx.waitlist.id).total
        target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            # The bar goes to stderr, so that stdout holds the CSV alone.
            with _progress(errors) as progress:
                task = progress.add_task("Exporting", total=total)
                target.write(csv_lines([imports.export_header(ctx)]))
                for rows in imports.export_batches(db, ctx, admin.EntryFilters(), "position"):
                    target.write(csv_lines(rows))
                    progress.advance(task, len(rows))
        finally:
            if output:
                target.close()
    except WaitlineError as exc:
        errors.print(exc.detail, style="red", markup=False)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    if output:
        console.print(f"Wrote {total} entries to {output}.", markup=False, soft_wrap=True)


@app.command()
def demo(
    workspace: Annotated[
        str,
        typer.Option(
            help="Slug of the workspace to fill (made if missing).", callback=_checked(check_slug)
        ),
    ] = "demo",
    signups: Annotated[int, typer.Option(help="How many people join.", min=1, max=100_000)] = 3000,
    seed: Annotated[int | None, typer.Option(help="Seed for the same data every run.")] = None,
) -> None:
    """Fill a workspace with a realistic waitlist: six weeks of signups, referral chains,
    two A/B variants, some approved and invited (see waitline/demo)."""
    settings = load_settings()
    db = _migrated_database()
    try:
        with console.status(f"Signing up {signups} people…"), db.transaction() as session:
            made = fill_demo(
                session,
                workspace_slug=workspace,
                signups=signups,
                links=Links(settings.base_url, settings.resolved_secret_key),
                box=SecretBox(settings.resolved_secret_key),
                now=Clock().now(),
                seed=seed,
            )
            ws_slug, wl_slug = made.workspace.slug, made.waitlist.slug
    except WaitlineError as exc:
        errors.print(exc.detail, style="red", markup=False)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    console.print(
        f"Waitlist {ws_slug}/{wl_slug}: {made.signups} signups, {made.referred} referred, "
        f"{made.verified} confirmed, {made.approved} approved, {made.invited} invited.",
        soft_wrap=True,
    )
    console.print(f"Signup page: {settings.base_url}/w/{ws_slug}/{wl_slug}", soft_wrap=True)
    if made.owner_password:
        console.print(
            f"Sign in at {settings.base_url}/console/login as {made.owner_email} with the "
            f"password {made.owner_password} (shown only now).",
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"Sign in at {settings.base_url}/console/login as the workspace's owner "
            f"({made.owner_email}).",
            markup=False,
            soft_wrap=True,
        )
