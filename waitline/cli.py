"""The `waitline` command: serve, migrate, init."""

import json
import secrets
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from waitline.auth.service import create_api_key, create_user
from waitline.config import load_settings
from waitline.db.migrate import upgrade
from waitline.db.models import Workspace
from waitline.db.session import Database
from waitline.kit.clock import Clock
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
) -> None:
    """Apply migrations, then serve the API."""
    import uvicorn

    from waitline.app import configure_logging

    configure_logging()
    db = _migrated_database()
    with db.transaction(write=False) as session:
        workspaces = session.scalar(select(func.count()).select_from(Workspace))
    db.dispose()
    console.print(f"Waitline on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if not workspaces:
        console.print(
            "No workspace yet. Create one with its owner and an API key:\n"
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
