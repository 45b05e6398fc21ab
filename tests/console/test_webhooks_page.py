"""The Webhooks page: endpoints made, tested, rotated, replayed and turned on again from
the console, through the same service as the API; secrets shown once; a receiver's answer
shown as text."""

import asyncio
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from waitline.outbox.worker import Worker, fan_out_job
from waitline.webhooks.delivery import deliver_webhooks
from waitline.webhooks.service import SECRET_PREFIX

XSS = "<img src=x onerror=alert(1)>"
SECRET = re.compile(re.escape(SECRET_PREFIX) + r"[A-Za-z0-9+/=]+")


@pytest.fixture
def settings(settings):
    """Deliveries go to a receiver on 127.0.0.1, which only private targets allow."""
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture
def receiver():
    """A real HTTP server on 127.0.0.1 that answers every POST with `answer` (status, body)
    and keeps what it got."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            server.got.append((dict(self.headers), body))
            status, reply = server.answer
            self.send_response(status)
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.got, server.answer = [], (200, b"ok")
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def run_worker(app, settings, clock):
    """One pass of the worker's webhook jobs: fan the events out, deliver what is due."""

    def run() -> None:
        worker = Worker(app.state.db, settings, clock, jobs=[fan_out_job, deliver_webhooks])
        asyncio.run(worker.run_once())

    return run


def create(console, url: str, **fields):
    return console.post("/console/webhooks", {"url": url, **fields})


def endpoint_id_of(page_text: str) -> str:
    return re.search(r'/console/webhooks/([0-9a-f-]{36})/test"', page_text).group(1)


def test_creating_an_endpoint_shows_its_secret_once(console, receiver):
    created = create(console, receiver.url, events=["entry.created"])
    assert created.status_code == 201
    secrets = set(SECRET.findall(created.text))
    assert len(secrets) == 1
    assert "shown this once" in created.text
    assert 'data-copy="#signing-secret"' in created.text
    endpoint_id = endpoint_id_of(created.text)
    later = console.get(f"/console/webhooks/{endpoint_id}")
    listing = console.get("/console/webhooks")
    for page in (later, listing):
        assert page.status_code == 200
        assert not SECRET.search(page.text)
    assert receiver.url in listing.text


def test_rotating_shows_a_new_secret_once(console, receiver):
    created = create(console, receiver.url)
    first, endpoint_id = SECRET.search(created.text).group(0), endpoint_id_of(created.text)
    rotated = console.post(f"/console/webhooks/{endpoint_id}/rotate-secret")
    assert rotated.status_code == 200
    shown = SECRET.findall(rotated.text)
    assert len(set(shown)) == 1 and shown[0] != first
    assert "signs alongside" in rotated.text
    assert not SECRET.search(console.get(f"/console/webhooks/{endpoint_id}").text)


def test_a_refused_url_is_shown_next_to_the_field(console):
    page = create(console, "https://user:pw@example.com/hook")
    assert page.status_code == 422
    assert 'id="url-error"' in page.text
    assert 'value="https://user:pw@example.com/hook"' in page.text  # what was typed stays
    assert "No webhook endpoints yet" in page.text


def test_an_unknown_event_type_is_a_field_error(console, receiver):
    page = create(console, receiver.url, events=["entry.exploded"])
    assert page.status_code == 422
    assert 'id="events-error"' in page.text


def test_a_test_event_arrives_and_the_log_shows_the_answer_as_text(console, receiver, run_worker):
    endpoint_id = endpoint_id_of(create(console, receiver.url).text)
    receiver.answer = (500, XSS.encode())
    sent = console.post(f"/console/webhooks/{endpoint_id}/test", {"event": "entry.created"})
    assert sent.status_code == 303
    run_worker()
    assert len(receiver.got) == 1
    log = console.get(f"/console/webhooks/{endpoint_id}")
    assert XSS not in log.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in log.text
    assert ">500<" in log.text
    assert "entry.created" in log.text


def test_sending_a_delivery_again_queues_the_same_event(console, receiver, run_worker):
    endpoint_id = endpoint_id_of(create(console, receiver.url).text)
    console.post(f"/console/webhooks/{endpoint_id}/test", {"event": "entry.approved"})
    run_worker()
    event_id = receiver.got[0][0]["webhook-id"]
    again = console.post(f"/console/webhooks/{endpoint_id}/redeliver", {"event_id": event_id})
    assert again.status_code == 303
    run_worker()
    assert [headers["webhook-id"] for headers, _ in receiver.got] == [event_id, event_id]


def test_a_replay_of_a_range_uses_the_service_rules(console, receiver):
    endpoint_id = endpoint_id_of(create(console, receiver.url).text)
    bad = console.post(
        f"/console/webhooks/{endpoint_id}/replay",
        {"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"},
    )
    assert bad.status_code == 422
    assert 'id="until-error"' in bad.text
    none = console.post(f"/console/webhooks/{endpoint_id}/replay", {"since": "2026-01-01T00:00"})
    assert none.status_code == 303
    assert "notice=nothing" in none.headers["location"]


def test_turning_off_and_re_enabling(console, receiver):
    endpoint_id = endpoint_id_of(create(console, receiver.url).text)
    off = console.post(f"/console/webhooks/{endpoint_id}/active", {"active": "false"})
    assert off.status_code == 303
    page = console.get(f"/console/webhooks/{endpoint_id}")
    assert ">off<" in page.text and "Re-enable" in page.text
    console.post(f"/console/webhooks/{endpoint_id}/active", {"active": "true"})
    page = console.get(f"/console/webhooks/{endpoint_id}")
    assert ">on<" in page.text and "Turn off" in page.text


def test_deleting_an_endpoint(console, receiver):
    endpoint_id = endpoint_id_of(create(console, receiver.url).text)
    assert console.post(f"/console/webhooks/{endpoint_id}/delete").status_code == 303
    assert console.get(f"/console/webhooks/{endpoint_id}").status_code == 404


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_every_role_sees_the_page(signed_in, role):
    page = signed_in(role).get("/console/webhooks")
    assert page.status_code == 200
    assert ("Create endpoint" in page.text) == (role != "viewer")


def test_a_viewer_cannot_change_anything(console, signed_in, receiver):
    endpoint_id = endpoint_id_of(create(console, receiver.url).text)
    viewer = signed_in("viewer")
    page = viewer.get(f"/console/webhooks/{endpoint_id}")
    assert page.status_code == 200 and "Rotate secret" not in page.text
    for path, form in [
        ("/console/webhooks", {"url": receiver.url}),
        (f"/console/webhooks/{endpoint_id}/rotate-secret", {}),
        (f"/console/webhooks/{endpoint_id}/test", {"event": "entry.created"}),
        (f"/console/webhooks/{endpoint_id}/delete", {}),
    ]:
        assert viewer.post(path, form).status_code == 403


def test_a_change_without_the_csrf_token_is_refused(console, receiver):
    endpoint_id = endpoint_id_of(create(console, receiver.url).text)
    refused = console.post(f"/console/webhooks/{endpoint_id}/delete", csrf=False)
    assert refused.status_code == 403
    assert console.get(f"/console/webhooks/{endpoint_id}").status_code == 200


def test_another_workspaces_endpoint_is_not_found(console, make_tenant, make_user, new_browser):
    other = make_tenant("globex")
    make_user(other.id, "owner@globex.example")
    theirs = new_browser()
    theirs.sign_in("owner@globex.example")
    endpoint_id = endpoint_id_of(create(theirs, "http://127.0.0.1:9/hook").text)
    assert console.get(f"/console/webhooks/{endpoint_id}").status_code == 404
    assert console.post(f"/console/webhooks/{endpoint_id}/delete").status_code == 404
    assert console.post(f"/console/webhooks/{endpoint_id}/rotate-secret").status_code == 404
    assert theirs.get(f"/console/webhooks/{endpoint_id}").status_code == 200
