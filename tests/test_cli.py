"""The `waitline` command: migrate, init and serve."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from waitline.app import create_app
from waitline.auth.secrets import verify_password
from waitline.cli import app as cli
from waitline.config import Settings
from waitline.db.migrate import is_current
from waitline.db.models import User
from waitline.db.session import Database

INIT_KEYS = {"workspace_id", "workspace_slug", "email", "password", "api_key_id", "api_key"}


@pytest.fixture
def run(monkeypatch, tmp_path):
    """Run the CLI in-process from an empty folder, with only the given WAITLINE_ settings."""
    for name in list(os.environ):
        if name.startswith("WAITLINE_") and not name.startswith("WAITLINE_TEST_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # no stray .env is read
    monkeypatch.setenv("WAITLINE_DATA_DIR", str(tmp_path / "data"))

    def invoke(*args: str, **env: str):
        for name, value in env.items():
            monkeypatch.setenv(f"WAITLINE_{name.upper()}", value)
        return CliRunner().invoke(cli, list(args))

    return invoke


def _init(run, database_url, *args):
    result = run("init", "--json", *args, database_url=database_url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def test_migrate_creates_the_sqlite_database_in_the_data_dir(run, tmp_path):
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout
    path = tmp_path / "data" / "waitline.db"
    assert path.exists()
    db = Database(f"sqlite:///{path}")
    try:
        assert is_current(db.engine)
    finally:
        db.dispose()
    again = run("migrate")
    assert again.exit_code == 0, again.output


def test_init_json_prints_one_object_whose_key_works(run, database_url, tmp_path):
    created = _init(run, database_url, "--workspace", "acme", "--email", "Ann@Example.com")
    assert set(created) == INIT_KEYS
    assert created["workspace_slug"] == "acme"
    assert created["email"] == "Ann@Example.com"
    assert created["api_key"].startswith("wl_sk_")
    assert len(created["password"]) >= 12  # generated, as none was given

    settings = Settings(
        _env_file=None, database_url=database_url, data_dir=tmp_path / "data", secret_key="s"
    )
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            me = client.get("/v1/me", headers={"Authorization": f"Bearer {created['api_key']}"})
            created_waitlist = client.post(
                f"/v1/workspaces/{created['workspace_id']}/waitlists",
                json={"slug": "launch", "display_name": "Launch"},
                headers={"Authorization": f"Bearer {created['api_key']}"},
            )
        with app.state.db.transaction(write=False) as session:
            owner = session.scalars(
                select(User).where(User.workspace_id == created["workspace_id"])
            ).one()
    finally:
        app.state.db.dispose()

    assert me.status_code == 200, me.text
    assert me.json()["workspace_id"] == created["workspace_id"]
    assert me.json()["workspace_slug"] == "acme"
    assert me.json()["api_key_id"] == created["api_key_id"]
    assert me.json()["scope"] == "write"
    assert created_waitlist.status_code == 201, created_waitlist.text
    assert owner.role == "owner"
    assert verify_password(owner.password_hash, created["password"])


def test_init_uses_the_password_it_is_given(run, database_url):
    created = _init(run, database_url, "--workspace", "given", "--password", "s3cret-Passw0rd")
    assert created["password"] == "s3cret-Passw0rd"


def test_init_again_with_another_slug_creates_another_workspace(run, database_url):
    first = _init(run, database_url, "--workspace", "first")
    second = _init(run, database_url, "--workspace", "second")
    assert second["workspace_slug"] == "second"
    assert second["workspace_id"] != first["workspace_id"]
    assert second["api_key"] != first["api_key"]
    assert second["api_key_id"] != first["api_key_id"]


def test_init_with_a_taken_slug_fails_with_a_message(run, database_url):
    _init(run, database_url, "--workspace", "acme")
    again = run("init", "--json", "--workspace", "acme", database_url=database_url)
    assert again.exit_code == 1
    assert "'acme' is taken" in again.stderr
    assert again.stdout == ""  # nothing a script would mistake for the JSON object
    assert "Traceback" not in again.output


@pytest.mark.parametrize(
    ("option", "value"),
    [("--workspace", "Not A Slug"), ("--workspace", "-edge-"), ("--email", "not-an-email")],
)
def test_init_with_a_bad_value_is_a_usage_error(run, tmp_path, option, value):
    result = run("init", "--json", option, value)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.stderr
    assert not (tmp_path / "data" / "waitline.db").exists()  # refused before touching a DB


def test_init_without_json_prints_the_key_once_in_a_table(run, database_url):
    result = run("init", "--workspace", "tabled", database_url=database_url)
    assert result.exit_code == 0, result.output
    assert "wl_sk_" in result.stdout
    assert "shown only now" in result.stdout
    assert "/v1/me" in result.stdout


def test_the_command_lists_its_subcommands(run):
    result = run("--help")
    assert result.exit_code == 0
    for command in ("serve", "migrate", "init"):
        assert command in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_migrates_a_fresh_data_dir_and_becomes_ready(tmp_path):
    elsewhere = tmp_path / "unrelated"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAITLINE_")}
    env["WAITLINE_DATA_DIR"] = str(tmp_path / "data")
    port = _free_port()
    log = tmp_path / "serve.log"
    executable = Path(sys.executable).parent / "waitline"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(executable), "serve", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            ready = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert ready is not None, f"never answered:\n{log.read_text()}"
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"status": "ready"}
            assert ready.headers["x-request-id"]
        finally:
            server.terminate()
            server.wait(timeout=15)

    output = log.read_text()
    assert (tmp_path / "data" / "waitline.db").exists()
    assert not (elsewhere / "data").exists()
    assert f"http://127.0.0.1:{port}" in output
    assert "waitline init" in output  # the first-run hint, as there is no workspace yet


def test_worker_runs_alone_and_stops_cleanly_on_sigterm(tmp_path):
    import signal as signals
    import subprocess
    import sys
    import time
    from pathlib import Path

    waitline = Path(sys.executable).parent / "waitline"
    env = {**__import__("os").environ, "WAITLINE_DATA_DIR": str(tmp_path / "data")}
    env.pop("WAITLINE_DATABASE_URL", None)
    process = subprocess.Popen(
        [str(waitline), "worker"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / "data" / "waitline.db").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    process.send_signal(signals.SIGTERM)
    _, log = process.communicate(timeout=30)
    assert process.returncode == 0, log
    assert "started" in log and "stopped" in log


def _start_worker(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen, Path]:
    """`waitline worker` in a session of its own (as systemd starts a service), once it
    has started working; its log in the file returned."""
    waitline = Path(sys.executable).parent / "waitline"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAITLINE_")}
    env |= {"WAITLINE_DATA_DIR": str(tmp_path / "data")}
    env |= {f"WAITLINE_{name.upper()}": value for name, value in settings.items()}
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(waitline), "worker"], env=env, cwd=tmp_path, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while "started" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "started" in log.read_text(), log.read_text()
    return process, log


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def _autogroup_nice(pid: int) -> int:
    # "/autogroup-123 nice 10"
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


AUTOGROUPS = pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists(), reason="the kernel has no autogroups (Linux only)"
)


@AUTOGROUPS
def test_the_worker_gives_way_to_requests_by_default(tmp_path):
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    process, _ = _start_worker(tmp_path)
    try:
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == min(ours + 10, 19)
        # Its session's scheduling group too, which shares the CPU with the app's group.
        assert _autogroup_nice(process.pid) == 10
    finally:
        _stop(process)


@AUTOGROUPS
def test_a_worker_told_nice_0_keeps_its_priority(tmp_path):
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    process, _ = _start_worker(tmp_path, worker_nice="0")
    try:
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == ours
        assert _autogroup_nice(process.pid) == 0
    finally:
        _stop(process)
