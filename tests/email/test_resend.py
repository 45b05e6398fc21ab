"""Kept mail (no SMTP was configured when it was due) stays kept once SMTP is configured;
`POST /v1/workspaces/{wid}/messages/{id}/resend` sends it, or a failed one, again."""

from waitline.email.sender import RETRY_DELAYS


def _kept_welcome(client, tenant, deliver, open_waitlist, join) -> dict:
    join(open_waitlist(), "ada@example.com")
    deliver()  # no SMTP configured
    (message,) = client.get(tenant.path("/messages"), headers=tenant.auth).json()["data"]
    assert message["status"] == "kept"
    return message


def test_kept_mail_is_not_sent_by_itself_once_smtp_is_configured(
    client, tenant, smtp, deliver, open_waitlist, join
):
    message = _kept_welcome(client, tenant, deliver, open_waitlist, join)

    assert deliver(smtp) == 0
    assert smtp.received == []
    (still,) = client.get(tenant.path("/messages"), headers=tenant.auth).json()["data"]
    assert still["status"] == "kept"
    assert still["id"] == message["id"]


def test_resending_a_kept_message_queues_it_and_the_worker_sends_it(
    client, tenant, smtp, deliver, open_waitlist, join, clock
):
    message = _kept_welcome(client, tenant, deliver, open_waitlist, join)
    clock.advance(minutes=5)

    response = client.post(tenant.path(f"/messages/{message['id']}/resend"), headers=tenant.auth)

    assert response.status_code == 200, response.text
    queued = response.json()
    assert queued["status"] == "queued"
    assert queued["attempts"] == 0
    assert queued["next_attempt_at"] == "2026-03-02T09:05:00Z"
    assert deliver(smtp) == 1
    received = smtp.one("ada@example.com", "Launch")
    assert "Launch" in received.text
    (sent,) = client.get(tenant.path("/messages"), headers=tenant.auth).json()["data"]
    assert (sent["status"], sent["attempts"]) == ("sent", 1)


def test_a_failed_message_can_be_resent(client, tenant, smtp, deliver, open_waitlist, join, clock):
    join(open_waitlist(), "ada@example.com")
    smtp.refusal = "550 No such mailbox"
    for delay in (*RETRY_DELAYS, None):  # every attempt refused: given up
        deliver(smtp)
        if delay is not None:
            clock.advance(seconds=delay.total_seconds())
    (message,) = client.get(tenant.path("/messages"), headers=tenant.auth).json()["data"]
    assert message["status"] == "failed"
    smtp.refusal = None

    response = client.post(tenant.path(f"/messages/{message['id']}/resend"), headers=tenant.auth)

    assert response.status_code == 200, response.text
    assert deliver(smtp) == 1
    assert len(smtp.to("ada@example.com")) == 1


def test_only_kept_or_failed_messages_can_be_resent(
    client, tenant, smtp, deliver, open_waitlist, join
):
    join(open_waitlist(), "ada@example.com")
    (queued,) = client.get(tenant.path("/messages"), headers=tenant.auth).json()["data"]

    response = client.post(tenant.path(f"/messages/{queued['id']}/resend"), headers=tenant.auth)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"

    deliver(smtp)
    response = client.post(tenant.path(f"/messages/{queued['id']}/resend"), headers=tenant.auth)
    assert response.status_code == 409
    assert "sent" in response.json()["detail"]
    assert len(smtp.received) == 1


def test_resend_takes_a_write_credential_of_the_messages_workspace(
    client, tenant, make_tenant, deliver, open_waitlist, join
):
    message = _kept_welcome(client, tenant, deliver, open_waitlist, join)
    path = tenant.path(f"/messages/{message['id']}/resend")

    assert client.post(path, headers=tenant.read_auth).status_code == 403
    other = make_tenant("other")
    elsewhere = other.path(f"/messages/{message['id']}/resend")
    assert client.post(elsewhere, headers=other.auth).status_code == 404
    unknown = tenant.path("/messages/00000000-0000-7000-8000-000000000000/resend")
    response = client.post(unknown, headers=tenant.auth)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    (still,) = client.get(tenant.path("/messages"), headers=tenant.auth).json()["data"]
    assert still["status"] == "kept"
