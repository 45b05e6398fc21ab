"""`Idempotency-Key` on POSTs under /v1/workspaces/: replay, mismatch, conflict, expiry, scope."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from waitline.app import create_app
from waitline.db.models import IdempotencyRecord, Waitlist
from waitline.kit.idempotency import _fingerprint
from waitline.kit.ids import new_id


def _post(client, tenant, body: dict, key: str | None = "key-1", auth=None):
    headers = dict(auth if auth is not None else tenant.auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(tenant.path("/waitlists"), json=body, headers=headers)


def _count(app, model, **where) -> int:
    with app.state.db.transaction(write=False) as session:
        stmt = select(func.count()).select_from(model)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        return session.scalar(stmt)


def _second_write_key(client, tenant) -> dict[str, str]:
    created = client.post(
        tenant.path("/api-keys"), json={"name": "second", "scope": "write"}, headers=tenant.auth
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['key']}"}


def test_the_same_key_and_body_replays_the_first_answer(app, client, tenant):
    body = {"slug": "launch", "display_name": "Launch"}
    first = _post(client, tenant, body)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    again = _post(client, tenant, body)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["content-type"] == first.headers["content-type"]
    assert _count(app, Waitlist, workspace_id=tenant.id) == 1


def test_the_same_key_with_another_body_is_a_mismatch(app, client, tenant):
    assert _post(client, tenant, {"slug": "launch", "display_name": "Launch"}).status_code == 201

    other = _post(client, tenant, {"slug": "other", "display_name": "Other"})
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "idempotency_mismatch"
    assert "idempotent-replayed" not in other.headers
    assert _count(app, Waitlist, workspace_id=tenant.id) == 1


def test_requests_without_a_key_are_not_deduplicated(app, client, tenant):
    assert _post(client, tenant, {"slug": "a", "display_name": "A"}, key=None).status_code == 201
    assert _post(client, tenant, {"slug": "b", "display_name": "B"}, key=None).status_code == 201
    assert _count(app, Waitlist, workspace_id=tenant.id) == 2
    assert _count(app, IdempotencyRecord) == 0


def test_the_key_is_scoped_to_the_credential(app, client, tenant):
    second = _second_write_key(client, tenant)
    first = _post(client, tenant, {"slug": "launch", "display_name": "Launch"})
    assert first.status_code == 201

    # Another key of the same workspace, same Idempotency-Key, other body: its own request.
    theirs = _post(client, tenant, {"slug": "beta", "display_name": "Beta"}, auth=second)
    assert theirs.status_code == 201, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["slug"] == "beta"

    # ... and each credential replays its own answer.
    mine_again = _post(client, tenant, {"slug": "launch", "display_name": "Launch"})
    theirs_again = _post(client, tenant, {"slug": "beta", "display_name": "Beta"}, auth=second)
    assert mine_again.headers["idempotent-replayed"] == "true"
    assert mine_again.json()["id"] == first.json()["id"]
    assert theirs_again.headers["idempotent-replayed"] == "true"
    assert theirs_again.json()["id"] == theirs.json()["id"]
    assert _count(app, Waitlist, workspace_id=tenant.id) == 2


def test_a_key_is_shared_by_an_api_key_and_its_access_tokens(app, client, tenant):
    token = client.post(
        "/v1/auth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.key_id,
            "client_secret": tenant.key,
        },
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    body = {"slug": "launch", "display_name": "Launch"}
    first = _post(client, tenant, body)
    via_token = _post(client, tenant, body, auth=bearer)
    assert via_token.headers["idempotent-replayed"] == "true"
    assert via_token.json()["id"] == first.json()["id"]


def test_a_request_still_running_answers_409(app, client, tenant):
    body = {"slug": "launch", "display_name": "Launch"}
    raw = json.dumps(body).encode()
    scope = {"method": "POST", "path": tenant.path("/waitlists"), "query_string": b""}
    with app.state.db.transaction() as session:
        session.execute(
            insert(IdempotencyRecord).values(
                id=new_id(),
                credential_id=tenant.key_id,
                key="in-flight",
                request_hash=_fingerprint(scope, raw),
                created_at=app.state.clock.now(),
            )
        )

    response = client.post(
        tenant.path("/waitlists"),
        content=raw,
        headers={**tenant.auth, "Content-Type": "application/json", "Idempotency-Key": "in-flight"},
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_conflict"
    assert _count(app, Waitlist, workspace_id=tenant.id) == 0


@pytest.fixture
def slow_app(settings, clock):
    """The app with a throwaway workspace POST that waits until the test lets it finish."""
    app = create_app(settings, clock=clock)
    entered, release = threading.Event(), threading.Event()
    calls = []

    @app.post("/v1/workspaces/{workspace_id}/test-only/slow", status_code=201)
    def slow(workspace_id: str):
        calls.append(workspace_id)
        entered.set()
        assert release.wait(10), "the test never released the slow request"
        return {"call": len(calls)}

    yield SimpleNamespace(app=app, entered=entered, release=release, calls=calls)
    app.state.db.dispose()


def test_a_concurrent_duplicate_gets_409_and_a_later_one_the_replay(slow_app, make_tenant):
    entered, release, calls = slow_app.entered, slow_app.release, slow_app.calls
    tenant = make_tenant("racer")  # written through the conftest app: one shared database
    with TestClient(slow_app.app) as client:
        headers = {**tenant.auth, "Idempotency-Key": "race"}
        url = tenant.path("/test-only/slow")
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(client.post, url, json={"n": 1}, headers=headers)
            try:
                assert entered.wait(10), "the first request never reached the route"
                during = client.post(url, json={"n": 1}, headers=headers)
            finally:
                release.set()
            first = first.result(timeout=10)
        after = client.post(url, json={"n": 1}, headers=headers)

    assert during.status_code == 409
    assert during.json()["code"] == "idempotency_conflict"
    assert first.status_code == 201
    assert first.json() == {"call": 1}
    assert after.status_code == 201
    assert after.headers["idempotent-replayed"] == "true"
    assert after.json() == {"call": 1}
    assert calls == [tenant.id]


def test_after_24_hours_the_key_is_fresh_again(app, client, tenant, clock):
    first = _post(client, tenant, {"slug": "launch", "display_name": "Launch"})
    assert first.status_code == 201

    clock.advance(hours=23, minutes=59)
    still = _post(client, tenant, {"slug": "other", "display_name": "Other"})
    assert still.json()["code"] == "idempotency_mismatch"

    clock.advance(minutes=2)
    fresh = _post(client, tenant, {"slug": "other", "display_name": "Other"})
    assert fresh.status_code == 201, fresh.text
    assert "idempotent-replayed" not in fresh.headers
    assert fresh.json()["slug"] == "other"
    assert _count(app, Waitlist, workspace_id=tenant.id) == 2
    assert _count(app, IdempotencyRecord, key="key-1") == 1


def test_an_error_answer_is_replayed_too(app, client, tenant, make_waitlist):
    make_waitlist("launch")
    body = {"slug": "launch", "display_name": "Again"}
    conflict = _post(client, tenant, body, key="dup")
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["code"] == "conflict"

    replay = _post(client, tenant, body, key="dup")
    assert replay.status_code == 409
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["content-type"] == "application/problem+json"
    assert replay.content == conflict.content


def test_a_server_error_is_not_kept_so_a_retry_runs_again(settings, clock, make_tenant):
    app = create_app(settings, clock=clock)
    attempts = []

    @app.post("/v1/workspaces/{workspace_id}/test-only/flaky", status_code=201)
    def flaky(workspace_id: str):
        attempts.append(workspace_id)
        if len(attempts) == 1:
            raise RuntimeError("transient failure")
        return {"attempt": len(attempts)}

    tenant = make_tenant("flaky")
    headers = {**tenant.auth, "Idempotency-Key": "retry-me"}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            failed = client.post(tenant.path("/test-only/flaky"), json={}, headers=headers)
            retried = client.post(tenant.path("/test-only/flaky"), json={}, headers=headers)
            replayed = client.post(tenant.path("/test-only/flaky"), json={}, headers=headers)
    finally:
        app.state.db.dispose()

    assert failed.status_code == 500
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert retried.json() == {"attempt": 2}
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == {"attempt": 2}
    assert len(attempts) == 2


@pytest.mark.parametrize("key", ["k" * 256, ""])
def test_a_key_outside_1_to_255_characters_is_refused(app, client, tenant, key):
    response = _post(client, tenant, {"slug": "launch", "display_name": "Launch"}, key=key)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert "255" in body["detail"]
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert _count(app, Waitlist, workspace_id=tenant.id) == 0


def test_a_key_of_255_characters_is_accepted(app, client, tenant):
    key = "k" * 255
    body = {"slug": "launch", "display_name": "Launch"}
    assert _post(client, tenant, body, key=key).status_code == 201
    assert _post(client, tenant, body, key=key).headers["idempotent-replayed"] == "true"


def test_a_request_with_a_bad_credential_is_not_stored(app, client, tenant):
    body = {"slug": "launch", "display_name": "Launch"}
    bad = _post(client, tenant, body, auth={"Authorization": "Bearer wl_sk_not-a-real-key"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "unauthorized"
    assert _count(app, IdempotencyRecord) == 0

    good = _post(client, tenant, body)
    assert good.status_code == 201, good.text
    assert "idempotent-replayed" not in good.headers


def test_only_posts_under_workspaces_are_idempotent(app, client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")
    path = tenant.path(f"/waitlists/{waitlist['id']}")
    headers = {**tenant.auth, "Idempotency-Key": "patch-1"}
    first = client.patch(path, json={"display_name": "One"}, headers=headers)
    second = client.patch(path, json={"display_name": "Two"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json()["display_name"] == "Two"
    assert "idempotent-replayed" not in second.headers
    assert _count(app, IdempotencyRecord) == 0


def test_simultaneous_duplicates_create_one_waitlist(app, client, tenant):
    body = {"slug": "launch", "display_name": "Launch"}
    start = threading.Barrier(8)

    def send(_):
        start.wait(10)
        return _post(client, tenant, body, key="stampede")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))

    originals = [
        a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
    ]
    assert len(originals) == 1, [a.status_code for a in answers]
    waitlist_id = originals[0].json()["id"]
    for answer in answers:
        if answer is originals[0]:
            continue
        if answer.status_code == 409:
            assert answer.json()["code"] == "idempotency_conflict"
        else:
            assert answer.status_code == 201, answer.text
            assert answer.headers["idempotent-replayed"] == "true"
            assert answer.json()["id"] == waitlist_id
    assert _count(app, Waitlist, workspace_id=tenant.id) == 1
    assert _count(app, IdempotencyRecord, key="stampede") == 1


def test_a_rate_limited_request_is_not_kept_so_a_retry_runs(settings, clock, make_tenant):
    """A 429 says "not now", not "this is the result": replaying it for 24 h would make
    the retry a client is told to send fail for a day."""
    limited = settings.model_copy(update={"rate_limit_admin": "1/day"})
    tenant = make_tenant("busy")
    body = {"slug": "launch", "display_name": "Launch"}
    busy = create_app(limited, clock=clock)
    try:
        with TestClient(busy) as client:
            assert client.get("/v1/me", headers=tenant.auth).status_code == 200
            refused = _post(client, tenant, body, key="later")
    finally:
        busy.state.db.dispose()
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"

    rested = create_app(limited, clock=clock)  # fresh counters: the limit has passed
    try:
        with TestClient(rested) as client:
            retried = _post(client, tenant, body, key="later")
    finally:
        rested.state.db.dispose()
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["slug"] == "launch"


def test_a_claim_abandoned_by_a_dead_process_is_taken_over_after_5_minutes(
    app, client, tenant, clock
):
    body = {"slug": "launch", "display_name": "Launch"}
    raw = json.dumps(body).encode()
    scope = {"method": "POST", "path": tenant.path("/waitlists"), "query_string": b""}
    with app.state.db.transaction() as session:
        session.execute(
            insert(IdempotencyRecord).values(
                id=new_id(),
                credential_id=tenant.key_id,
                key="orphan",
                request_hash=_fingerprint(scope, raw),
                created_at=clock.now(),
            )
        )
    headers = {**tenant.auth, "Content-Type": "application/json", "Idempotency-Key": "orphan"}

    clock.advance(minutes=4)
    assert client.post(tenant.path("/waitlists"), content=raw, headers=headers).status_code == 409
    clock.advance(minutes=2)
    response = client.post(tenant.path("/waitlists"), content=raw, headers=headers)
    assert response.status_code == 201, response.text
    assert _count(app, Waitlist) == 1


def test_a_kept_answer_is_sealed_and_replayed_opened_to_the_same_credential(app, client, tenant):
    """A new API key is shown once, in the answer; the copy kept for replay is encrypted
    with the server's key, so the table never holds the key in the clear."""
    headers = {**tenant.auth, "Idempotency-Key": "new-key"}
    body = {"name": "ci", "scope": "write"}
    first = client.post(tenant.path("/api-keys"), json=body, headers=headers)
    assert first.status_code == 201, first.text
    secret = first.json()["key"]

    with app.state.db.transaction(write=False) as session:
        (stored,) = session.scalars(
            select(IdempotencyRecord.response_body).where(IdempotencyRecord.key == "new-key")
        )
    assert secret.encode() not in stored
    assert b'"key"' not in stored
    assert app.state.secret_box.open(stored.decode()).encode("latin-1") == first.content

    again = client.post(tenant.path("/api-keys"), json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["key"] == secret
    assert again.content == first.content

    other = {**_second_write_key(client, tenant), "Idempotency-Key": "new-key"}
    fresh = client.post(tenant.path("/api-keys"), json=body, headers=other)
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert fresh.json()["key"] != secret
