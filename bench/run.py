"""Waitline benchmarks: a real `waitline serve`, load from wrk in another process.

Every figure is a ratio of two rates measured side by side in the same run, so that the
machine's speed cancels out. Writes bench/results/latest.md.

    make bench                      # SQLite, and PostgreSQL when WAITLINE_BENCH_DATABASE_URL
                                    # (or WAITLINE_TEST_DATABASE_URL) is set: on that server,
                                    # in a database of its own, dropped afterwards
"""

import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from scratch import fresh_database
from sqlalchemy import text

from waitline.db.migrate import upgrade
from waitline.db.models import Waitlist, Workspace
from waitline.db.session import Database
from waitline.entries.line import rebuild_line
from waitline.entries.links import Links
from waitline.entries.service import WaitlistContext, leaders

HERE = Path(__file__).parent
VENV_BIN = Path(sys.executable).parent
SECRET = "bench-secret-key"
SMALL, LARGE = 10_000, int(os.environ.get("WAITLINE_BENCH_LARGE", "1000000"))
DURATION = os.environ.get("WAITLINE_BENCH_DURATION", "10s")
CONNECTIONS = 64
LEADERBOARD_CONNECTIONS = 8
LEADERBOARD_COMPUTED_RUNS = 200
WORKERS = os.environ.get("WAITLINE_BENCH_WORKERS", "2")


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("installing wrk (Debian package)...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


FILL_COLUMNS = (
    "INSERT INTO entries (id, waitlist_id, workspace_id, seq, email, email_normalized, source,"
    " referral_code, referral_count, referral_credited, score, waiting, status, verified,"
    " metadata, created_at, updated_at)"
)
# Entry i: waiting, one in seven with (i % 5) referrals; ids, emails and codes unique.
FILL_POSTGRESQL = FILL_COLUMNS + (
    " SELECT gen_random_uuid()::text, :wl, :ws, i, 'f' || i || '@example.com',"
    " 'f' || i || '@example.com', 'import', 'r' || i,"
    " CASE WHEN i % 7 = 0 THEN i % 5 ELSE 0 END, false, i, true, 'pending', false,"
    " '{}'::jsonb, :now, :now FROM generate_series(1, :n) AS i"
)
FILL_SQLITE = FILL_COLUMNS + (
    " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n)"
    " SELECT lower(hex(randomblob(16))), :wl, :ws, i, 'f' || i || '@example.com',"
    " 'f' || i || '@example.com', 'import', 'r' || i,"
    " CASE WHEN i % 7 = 0 THEN i % 5 ELSE 0 END, 0, i, 1, 'pending', 0, '{}', :now, :now FROM n"
)


def fill(db: Database, workspace_id: str, waitlist_id: str, count: int) -> None:
    """`count` waiting entries straight into SQL, then the line rebuilt over them."""
    now = datetime.now(UTC)
    postgres = db.engine.dialect.name == "postgresql"
    params = {
        "wl": waitlist_id,
        "ws": workspace_id,
        "n": count,
        "now": now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    with db.transaction() as session:
        session.execute(text(FILL_POSTGRESQL if postgres else FILL_SQLITE), params)
        waitlist = session.get(Waitlist, waitlist_id)
        waitlist.last_seq = waitlist.entry_count = count
        rebuild_line(session, waitlist, boost=1, double_opt_in=False)
    # As autovacuum keeps a database that grew to this size, and as an import leaves it.
    db.vacuum_analyze("entries", "line_buckets")


def sample_ids(db: Database, waitlist_id: str, count: int) -> list[str]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            text("SELECT id FROM entries WHERE waitlist_id = :wl ORDER BY random() LIMIT :n"),
            {"wl": waitlist_id, "n": count},
        )
        return [row[0] for row in rows]


BACKLOG = text(
    "SELECT (SELECT count(*) FROM messages WHERE status = 'queued')"
    " + (SELECT count(*) FROM events WHERE fanned_out_at IS NULL)"
)


def wait_for_the_worker(db: Database, limit_seconds: float = 120) -> None:
    """Let the worker send the signups' mail before reads are measured, so that every read
    figure is taken on an equally quiet machine."""
    deadline = time.monotonic() + limit_seconds
    while True:
        with db.transaction(write=False) as session:
            left = session.execute(BACKLOG).scalar_one()
        if left == 0:
            return
        if time.monotonic() > deadline:
            print(f"the worker still has {left:,} items to handle: reads measured meanwhile")
            return
        time.sleep(0.5)


def leaderboard_computed_p99_us(db: Database, workspace_id: str, waitlist_id: str) -> int:
    """The p99 of the leaderboard computed afresh, as when a process's cached copy has
    expired (`entries/leaderboard.py`): what one visitor in every few seconds waits for."""
    times = []
    with db.transaction(write=False) as session:
        ctx = WaitlistContext.of(
            session.get(Workspace, workspace_id),
            session.get(Waitlist, waitlist_id),
            Links("http://bench", SECRET),
            datetime.now(UTC),
        )
        for _ in range(LEADERBOARD_COMPUTED_RUNS):
            started = time.perf_counter()
            leaders(session, ctx, 10)
            times.append(time.perf_counter() - started)
    return int(statistics.quantiles(times, n=100)[98] * 1_000_000)


def wrk(
    url: str, script: str | None = None, *script_args: str, connections: int = CONNECTIONS
) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{DURATION}", "--latency", url]
    if script:
        command += ["-s", str(HERE / script), "--", *script_args]
    ran = subprocess.run(command, capture_output=True, text=True)
    if ran.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{ran.stdout}{ran.stderr}")
    output = ran.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    result = {"rate": rate}
    found = re.search(r"RESULT (.*)", output)
    if found:
        result.update({k: int(v) for k, v in (pair.split("=") for pair in found.group(1).split())})
    return result


def bench_backend(name: str, url: str, workdir: Path) -> dict:
    db = Database(url)
    upgrade(db.engine)
    env = {
        **os.environ,
        "WAITLINE_DATABASE_URL": url,
        "WAITLINE_DATA_DIR": str(workdir),
        "WAITLINE_SECRET_KEY": SECRET,
        "WAITLINE_RATE_LIMIT_SIGNUP": "100000000/minute",
        "WAITLINE_RATE_LIMIT_PUBLIC": "100000000/minute",
        "WAITLINE_RATE_LIMIT_ADMIN": "100000000/minute",
    }
    slug = f"bench{random.randrange(10**6)}"
    init = subprocess.run(
        [VENV_BIN / "waitline", "init", "--workspace", slug, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    credentials = json.loads(init.stdout)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The delivery worker runs as its own process, as it would under a launch's load: in
    # the app processes its backlog (welcome mail for every signup) would share their GIL.
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(
        [VENV_BIN / "waitline", "serve", "--port", str(port), "--workers", WORKERS, "--no-worker"],
        start_new_session=True,
        **quiet,
    )
    worker = subprocess.Popen([VENV_BIN / "waitline", "worker"], start_new_session=True, **quiet)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        admin = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {credentials['api_key']}"}
        )
        waitlists = {}
        for wl in ("signups", "small", "large"):
            body = {
                "slug": wl,
                "display_name": wl,
                "status": "open",
                "settings": {"leaderboard": {"enabled": True, "length": 10}},
            }
            response = admin.post(
                f"/v1/workspaces/{credentials['workspace_id']}/waitlists", json=body
            )
            response.raise_for_status()
            waitlists[wl] = response.json()["id"]
        print(f"[{name}] filling {SMALL:,} and {LARGE:,} entries...", flush=True)
        started = time.perf_counter()
        fill(db, credentials["workspace_id"], waitlists["small"], SMALL)
        fill(db, credentials["workspace_id"], waitlists["large"], LARGE)
        print(f"[{name}] filled in {time.perf_counter() - started:.0f} s", flush=True)

        links = Links(base, SECRET)
        now = datetime.now(UTC)
        path_files = {}
        for wl in ("small", "large"):
            ids = sample_ids(db, waitlists[wl], 2000)
            path = workdir / f"{wl}.paths"
            path.write_text(
                "".join(
                    f"/v1/waitlists/{slug}/{wl}/status"
                    f"?token={links.status_token(i, waitlists[wl], now)}\n"
                    for i in ids
                )
            )
            path_files[wl] = path
        leaderboard_paths = workdir / "leaderboard.paths"
        leaderboard_paths.write_text(f"/v1/waitlists/{slug}/large/leaderboard\n")

        results = {"backend": name}
        print(f"[{name}] healthz", flush=True)
        results["healthz"] = wrk(f"{base}/healthz")
        print(f"[{name}] signups", flush=True)
        results["signup"] = wrk(f"{base}/v1/waitlists/{slug}/signups/entries", "signup.lua", slug)
        with db.transaction(write=False) as session:
            results["signup"]["stored"] = session.execute(
                text("SELECT count(*) FROM entries WHERE waitlist_id = :wl"),
                {"wl": waitlists["signups"]},
            ).scalar_one()
        wait_for_the_worker(db)
        for wl in ("small", "large"):
            print(f"[{name}] status {wl}", flush=True)
            results[f"status_{wl}"] = wrk(base, "paths.lua", str(path_files[wl]))
        print(f"[{name}] leaderboard", flush=True)
        # Latency, not throughput: a handful of clients at once, as status pages load it.
        results["leaderboard"] = wrk(
            base, "paths.lua", str(leaderboard_paths), connections=LEADERBOARD_CONNECTIONS
        )
        results["leaderboard_computed_p99_us"] = leaderboard_computed_p99_us(
            db, credentials["workspace_id"], waitlists["large"]
        )
        return results
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        db.dispose()


def report(all_results: list[dict]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores;"
        f" `waitline serve --workers {WORKERS} --no-worker` and one `waitline worker`;"
        f" wrk with 2 threads and {CONNECTIONS} connections for {DURATION} per figure"
        f" ({LEADERBOARD_CONNECTIONS} for the leaderboard);"
        f" lines of {SMALL:,} and {LARGE:,} waiting entries.",
        "",
        "| backend | figure | value | target |",
        "| --- | --- | --- | --- |",
    ]
    for r in all_results:
        b = r["backend"]
        health, signup = r["healthz"]["rate"], r["signup"]
        small, large, board = r["status_small"], r["status_large"], r["leaderboard"]

        def row(figure: str, value: str, target: str = "", backend: str = b) -> str:
            return f"| {backend} | {figure} | {value} | {target} |"

        def lookups(result: dict) -> str:
            return f"{result['rate']:,.0f} (p99 {result['p99_us'] / 1000:.1f} ms)"

        answered = f"{signup['created']:,} / {signup['other']:,} / {signup['stored']:,}"
        lines += [
            row("`GET /healthz` requests/s (the yardstick)", f"{health:,.0f}"),
            row(
                "signups/s",
                f"{signup['rate']:,.0f} ({signup['rate'] / health:.2f} of healthz)",
                "≥ 2,500",
            ),
            row("signup p99", f"{signup['p99_us'] / 1000:.1f} ms", "≤ 100 ms"),
            row("signups answered 201 / other / rows stored", answered, "no other; 201 ≤ stored"),
            row(f"status lookups/s at {SMALL:,}", lookups(small)),
            row(f"status lookups/s at {LARGE:,}", lookups(large), "≥ 2,000"),
            row(
                f"status rate ratio, {LARGE:,} vs {SMALL:,}",
                f"{large['rate'] / small['rate']:.2f}",
                "≥ 0.7",
            ),
            row(
                f"status p99 ratio, {SMALL:,} vs {LARGE:,} (flat: 1)",
                f"{small['p99_us'] / large['p99_us']:.2f}",
            ),
            row("status answers not 200", str(small["other"] + large["other"]), "0"),
            row(
                f"leaderboard p99 at {LARGE:,}, {LEADERBOARD_CONNECTIONS} clients",
                f"{board['p99_us'] / 1000:.1f} ms ({board['rate']:,.0f}/s)",
                "≤ 20 ms",
            ),
            row(
                f"leaderboard computed afresh at {LARGE:,}, p99 of {LEADERBOARD_COMPUTED_RUNS}",
                f"{r['leaderboard_computed_p99_us'] / 1000:.1f} ms",
                "≤ 20 ms",
            ),
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ensure_wrk()
    pg = os.environ.get("WAITLINE_BENCH_DATABASE_URL") or os.environ.get(
        "WAITLINE_TEST_DATABASE_URL"
    )
    with tempfile.TemporaryDirectory(prefix="waitline-bench-") as tmp:
        workdir = Path(tmp)
        backends = [("sqlite", "sqlite://")] + ([("postgresql", pg)] if pg else [])
        results = []
        for name, server in backends:
            with fresh_database(server, f"public_{name}", workdir) as url:
                results.append(bench_backend(name, url, workdir))
    out = HERE / "results" / "latest.md"
    out.write_text(report(results))
    print(out.read_text())


if __name__ == "__main__":
    main()
