"""Where webhooks may go (spec §4): https, no credentials, public addresses only, checked
when an endpoint is saved and again at every delivery, with the connection pinned to
the checked address; a setting allows http and private targets."""

from ipaddress import ip_address

import pytest

from waitline.webhooks import delivery, ssrf

REFUSED = [
    ("https://127.0.0.1/hook", "must not point at 127.0.0.1: a loopback address"),
    ("https://10.0.0.1/hook", "must not point at 10.0.0.1: a private address"),
    ("https://169.254.169.254/latest", "must not point at 169.254.169.254: a link-local address"),
    ("https://[::1]/hook", "must not point at ::1: a loopback address"),
    (
        "https://[::ffff:10.0.0.1]/hook",
        "must not point at ::ffff:10.0.0.1: an IPv6 form of 10.0.0.1, a private address",
    ),
    ("https://100.64.0.7/hook", "carrier-grade NAT"),
    ("https://0.0.0.0/hook", "an unspecified address"),
    ("https://224.0.0.1/hook", "a multicast address"),
    ("https://192.168.1.20:8443/hook", "a private address"),
    ("https://[fd00::1]/hook", "a private address"),
    ("https://localhost/hook", "has a host (localhost) that resolves to"),
    ("https://2130706433/hook", "resolves to 127.0.0.1: a loopback address"),
    ("http://93.184.215.14/hook", "must be an https:// URL"),
    ("ftp://93.184.215.14/hook", "must be an https:// URL"),
    ("https://user:secret@93.184.215.14/hook", "must not carry a user name or password"),
    ("https:///hook", "must name a host"),
    ("https://no-such-host.invalid/hook", "could not be resolved"),
]


@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_a_url_outside_the_rules_is_refused_at_create(strict_client, tenant, url, message):
    response = strict_client.post(tenant.path("/webhooks"), json={"url": url}, headers=tenant.auth)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    (reason,) = problem["errors"]["url"]
    assert message in reason
    assert problem["detail"].startswith("url: ")


def test_a_public_https_url_is_accepted(strict_client, tenant):
    response = strict_client.post(
        tenant.path("/webhooks"), json={"url": "https://93.184.215.14/hook"}, headers=tenant.auth
    )
    assert response.status_code == 201, response.text


def test_the_rules_hold_when_an_endpoint_is_changed(strict_client, tenant):
    made = strict_client.post(
        tenant.path("/webhooks"), json={"url": "https://93.184.215.14/hook"}, headers=tenant.auth
    ).json()

    response = strict_client.patch(
        tenant.path(f"/webhooks/{made['id']}"),
        json={"url": "https://[::ffff:10.0.0.1]/hook"},
        headers=tenant.auth,
    )

    assert response.status_code == 422
    assert "url" in response.json()["errors"]
    shown = strict_client.get(tenant.path(f"/webhooks/{made['id']}"), headers=tenant.auth).json()
    assert shown["url"] == "https://93.184.215.14/hook"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://10.0.0.1/hook", "http://localhost/hook"]
)
def test_the_setting_allows_http_and_private_targets(client, tenant, url):
    response = client.post(tenant.path("/webhooks"), json={"url": url}, headers=tenant.auth)
    assert response.status_code == 201, response.text


def test_credentials_in_the_url_are_refused_even_when_private_targets_are_allowed(client, tenant):
    response = client.post(
        tenant.path("/webhooks"), json={"url": "http://u:p@127.0.0.1/hook"}, headers=tenant.auth
    )
    assert response.status_code == 422


def test_the_rules_are_checked_again_at_delivery(make_hook, emit, run_pass, receiver, rows):
    # Saved while private targets were allowed; the worker no longer allows them.
    hook = make_hook()
    emit()

    run_pass(webhook_allow_private=False)

    assert receiver.received == []
    (attempt,) = rows.attempts(hook["id"])
    assert attempt.status_code is None
    assert attempt.error_message == "Not sent: the URL must be an https:// URL."
    assert rows.deliveries(hook["id"])[0].status == "pending"


def test_a_name_that_now_resolves_inside_is_refused_at_delivery(
    client, tenant, make_hook, emit, run_pass, receiver, rows
):
    hook = make_hook()
    client.patch(
        tenant.path(f"/webhooks/{hook['id']}"),
        json={"url": f"https://localhost:{receiver.port}/hook"},
        headers=tenant.auth,
    )
    emit()

    run_pass(webhook_allow_private=False)

    assert receiver.received == []
    (attempt,) = rows.attempts(hook["id"])
    assert "resolves to 127.0.0.1: a loopback address" in attempt.error_message


def test_the_connection_is_checked_at_connect_time_too(
    client, tenant, make_hook, emit, run_pass, receiver, rows, monkeypatch
):
    """Had the name resolved to a public address when checked and to a private one when
    connecting (DNS rebinding), the connection is refused: it only goes to an address
    that passed the check."""

    async def looks_fine(self, url: str) -> None:
        return None

    monkeypatch.setattr(delivery.TargetChecks, "check", looks_fine)
    hook = make_hook()
    client.patch(
        tenant.path(f"/webhooks/{hook['id']}"),
        json={"url": f"https://localhost:{receiver.port}/hook"},
        headers=tenant.auth,
    )
    emit()

    run_pass(webhook_allow_private=False)

    assert receiver.received == []
    (attempt,) = rows.attempts(hook["id"])
    assert attempt.error_message.startswith(
        "Not sent: localhost resolved, when connecting, to 127.0.0.1 is a loopback address"
    )


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("::ffff:93.184.215.14", True),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("198.18.0.1", False),  # benchmarking
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("fe80::1", False),
        ("ff02::1", False),
        ("::", False),
    ],
)
def test_which_addresses_are_public(address, allowed):
    assert (ssrf.refusal_for_address(ip_address(address)) is None) is allowed
