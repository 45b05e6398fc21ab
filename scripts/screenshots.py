"""Pictures of the main pages for the README: `make screenshots`.

Fills a throwaway SQLite database with the demo waitlist (waitline/demo), serves the app
on a free local port, and has Debian's Chromium (driven by Playwright; never `playwright
install`) save PNGs to docs/screenshots/: the console's waitlists, entries, analytics and a
webhook endpoint with its delivery log, the console at 375 px, the hosted signup page, a
status page, and the widget on a plain page of another origin (a small local server that
also receives the webhooks). The seed is fixed, so the data is the same on
every run (the dates follow the day it runs).
"""

import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import uvicorn

from waitline.app import create_app
from waitline.config import Settings
from waitline.db.migrate import upgrade
from waitline.db.session import Database
from waitline.demo.generate import fill_demo
from waitline.entries.links import Links
from waitline.kit.clock import Clock
from waitline.kit.crypto import SecretBox
from waitline.waitlists.schemas import WaitlistUpdate
from waitline.waitlists.service import update_waitlist

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 375, "height": 812}  # the narrowest phone the console is made for
SEED = 7
SIGNUPS = 2500


def main() -> int:
    if not CHROMIUM.exists():
        print(f"Needs Debian's Chromium at {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 1
    data = Path(tempfile.mkdtemp(prefix="waitline-shots-"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    site = _other_site(base)
    settings = Settings(
        _env_file=None,
        data_dir=data,
        base_url=base,
        secret_key="screenshots-only-not-a-secret",
        # The worker delivers the webhooks pictured; their receiver is on 127.0.0.1.
        run_worker=True,
        webhook_allow_private=True,
    )
    try:
        demo = _fill(settings, site.url)
        server, thread = _serve(settings, sock)
        try:
            _shoot(Links(base, settings.resolved_secret_key), demo, site.url)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        site.shutdown()
        site.server_close()
        sock.close()
        shutil.rmtree(data, ignore_errors=True)
    print(f"Saved to {OUT}")
    return 0


def _other_site(base: str) -> ThreadingHTTPServer:
    """Another origin: a plain product page embedding the widget, and a webhook receiver."""
    host_page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Orbit</title>
<style>body {{ font: 18px/1.5 Georgia, serif; max-width: 40rem; margin: 3rem auto;
color: #222; }} h1 {{ font-size: 2.4rem; }}</style></head>
<body><h1>Orbit</h1><p>The calendar that plans itself. Join the waitlist below: the widget
is one script tag on this page.</p>
<script src="{base}/widget.js" data-waitlist="demo/orbit"></script>
<p>&copy; Orbit Labs</p></body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(200, "text/html; charset=utf-8", host_page)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._answer(200, "application/json", b'{"received": true}')

        def _answer(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{site.server_address[1]}"
    threading.Thread(target=site.serve_forever, daemon=True).start()
    return site


def _fill(settings: Settings, widget_origin: str) -> dict[str, str]:
    db = Database(settings.resolved_database_url)
    upgrade(db.engine)
    try:
        with db.transaction() as session:
            made = fill_demo(
                session,
                workspace_slug="demo",
                signups=SIGNUPS,
                links=Links(settings.base_url, settings.resolved_secret_key),
                box=SecretBox(settings.resolved_secret_key),
                now=Clock().now(),
                seed=SEED,
            )
            # The widget's host page is on another origin, which the waitlist must allow.
            update_waitlist(
                session,
                made.workspace,
                made.waitlist,
                WaitlistUpdate(settings={"allowed_origins": [widget_origin]}),
                box=SecretBox(settings.resolved_secret_key),
                now=Clock().now(),
            )
            return {
                "email": made.owner_email,
                "password": made.owner_password,
                "ws": made.workspace.slug,
                "wl": made.waitlist.slug,
                "waitlist_id": made.waitlist.id,
            }
    finally:
        db.dispose()


def _serve(settings: Settings, sock: socket.socket):
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    return server, thread


def _shoot(links: Links, demo: dict[str, str], site: str) -> None:
    from playwright.sync_api import sync_playwright

    base, ws, wl = links.base_url, demo["ws"], demo["wl"]
    OUT.mkdir(parents=True, exist_ok=True)
    # A visitor joins (and, below, confirms by the link their email would carry), for a
    # status page with a real position.
    joined = httpx.post(
        f"{base}/v1/waitlists/{ws}/{wl}/entries",
        json={"email": "grace@example.com", "name": "Grace Hopper", "source": "form"},
        timeout=15,
    )
    joined.raise_for_status()
    entry = joined.json()
    status_url = entry["status_url"]
    confirm_url = links.confirm_url(entry["id"], demo["waitlist_id"], Clock().now())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            desktop = browser.new_context(viewport=DESKTOP)
            page = desktop.new_page()
            page.goto(f"{base}/console/login")
            page.get_by_label("Email").fill(demo["email"])
            page.get_by_label("Password").fill(demo["password"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/console/waitlists")
            _save(page, "console-waitlists")
            page.locator(".waitlists a").first.click()
            page.wait_for_url(re.compile(r"/entries$"))
            entries = page.url
            _save(page, "console-entries")
            page.goto(entries.removesuffix("/entries") + "/analytics")
            _save(page, "console-analytics", full_page=True)
            _webhook(page, base, site)
            narrow = browser.new_context(
                viewport=NARROW, is_mobile=True, storage_state=desktop.storage_state()
            ).new_page()
            narrow.goto(entries)
            _save(narrow, "console-entries-375px")
            page.goto(f"{base}/w/{ws}/{wl}")
            _save(page, "hosted-signup")
            phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
            phone.goto(confirm_url)
            phone.get_by_role("button", name="Confirm").click()
            phone.wait_for_load_state("networkidle")
            phone.goto(status_url)
            _save(phone, "status-page-phone", full_page=True)
            page.goto(f"{site}/orbit.html")
            page.get_by_role("button", name="Join the waitlist").wait_for()
            _save(page, "widget-on-a-page")
        finally:
            browser.close()


def _webhook(page, base: str, site: str) -> None:
    """An endpoint made in the console (its secret shown once), a few test events, and the
    delivery log once the worker has sent them."""
    page.goto(f"{base}/console/webhooks")
    page.get_by_label("URL (https)").fill(f"{site}/hooks")
    page.get_by_label("Description (optional)").fill("CRM sync")
    page.get_by_role("button", name="Create endpoint").click()
    page.get_by_text("shown this once").wait_for()
    _save(page, "console-webhook-created")
    for event in ("entry.created", "entry.referral_credited", "entry.invited"):
        page.get_by_label("Event type").select_option(event)
        page.get_by_role("button", name="Send test").click()
        page.get_by_role("status").wait_for()
    deadline = time.monotonic() + 15
    while page.locator("table.deliveries tbody tr").count() < 3:
        if time.monotonic() > deadline:
            raise RuntimeError("the test events were not delivered")
        time.sleep(0.3)
        page.reload()
    page.locator("table.deliveries details").first.locator("summary").click()
    _save(page, "console-webhook-log", full_page=True)


def _save(page, name: str, *, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"  {name}.png")


if __name__ == "__main__":
    sys.exit(main())
