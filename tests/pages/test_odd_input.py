"""Whatever a visitor puts in the URL or the form gets a page, never a 500 (spec §0)."""

import re

import pytest

ODD = ["", " ", "-", "x" * 5000, "<script>", "%00", "ü" * 40, "../../etc/passwd"]


@pytest.mark.parametrize("value", ODD)
def test_odd_query_parameters_still_get_the_signup_page(client, path, open_waitlist, value):
    waitlist = open_waitlist()

    response = client.get(path(waitlist), params={"ref": value, "lang": value, "variant_id": value})

    assert response.status_code == 200
    assert "<script>" not in response.text.split("</head>", 1)[1]


@pytest.mark.parametrize("value", ODD)
def test_odd_tokens_get_the_bad_link_page(client, path, open_waitlist, value):
    response = client.get(path(open_waitlist(), "/status"), params={"token": value})

    assert response.status_code == 404
    assert "This link does not work" in response.text


@pytest.mark.parametrize("value", ODD)
def test_odd_form_values_are_answered_on_the_page(path, open_waitlist, sign_up, value):
    waitlist = open_waitlist(custom_fields=[{"key": "n", "label": "N", "type": "number"}])

    response = sign_up(
        waitlist,
        value,
        name=value,
        referral_code=value,
        variant_id=value,
        lang=value,
        phone=value,
        **{"metadata.n": value, "metadata.unknown": value},
    )

    assert response.status_code in (303, 422)
    if response.status_code == 422:
        assert 'role="alert"' in response.text


def test_the_status_page_keeps_the_ab_variant_the_person_signed_up_with(
    client, tenant, path, open_waitlist, joined
):
    waitlist = open_waitlist()
    for name in ("Alpha", "Beta"):
        made = client.post(
            tenant.path(f"/waitlists/{waitlist['id']}/variants"),
            json={"kind": "ab", "copy": {"display_name": name}},
            headers=tenant.auth,
        )
        assert made.status_code == 201, made.text

    for n in range(6):
        page = client.get(path(waitlist)).text
        shown = re.search(r"<h1>(\w+)</h1>", page).group(1)
        variant = re.search(r'name="variant_id" value="([^"]+)"', page).group(1)
        status, _ = joined(waitlist, f"p{n}@example.com", variant_id=variant)

        assert f"<h1>{shown}</h1>" in client.get(status).text
