"""Opaque keyset cursors: they round-trip, refuse garbage with 422, and page without gaps."""

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waitline.kit.errors import ValidationFailed
from waitline.kit.pagination import decode_cursor, encode_cursor

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(), st.floats(allow_nan=False)
)


@given(st.lists(json_scalars, max_size=5))
def test_a_cursor_decodes_to_what_was_encoded(values):
    cursor = encode_cursor(values)
    assert "=" not in cursor
    assert base64.urlsafe_b64encode(base64.urlsafe_b64decode(cursor + "==")).rstrip(b"=") == (
        cursor.encode()
    )
    assert decode_cursor(cursor, len(values)) == values


def test_datetimes_travel_as_iso_strings():
    moment = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    created, id_ = decode_cursor(encode_cursor([moment, "abc"]), 2)
    assert datetime.fromisoformat(created) == moment
    assert id_ == "abc"


@given(st.text(max_size=80))
def test_decoding_anything_either_succeeds_or_is_a_validation_failure(text):
    try:
        values = decode_cursor(text, 2)
    except ValidationFailed as exc:
        assert exc.status == 422
        assert list(exc.errors) == ["cursor"]
    else:
        assert isinstance(values, list) and len(values) == 2


def test_a_cursor_with_the_wrong_number_of_values_is_refused():
    with pytest.raises(ValidationFailed) as raised:
        decode_cursor(encode_cursor(["2026-03-02T09:00:00+00:00"]), 2)
    assert raised.value.errors == {"cursor": ["Not a cursor this endpoint gave out."]}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!!",
        "%%%",
        _b64(b"\xff\xfe\x00"),
        _b64(b"{}"),
        _b64(b'"just a string"'),
        _b64(json.dumps(["2026-03-02T09:00:00+00:00"]).encode()),
        _b64(json.dumps(["yesterday", "some-id"]).encode()),
        _b64(json.dumps([12345, "some-id"]).encode()),
        _b64(json.dumps(["2026-03-02T09:00:00", "some-id"]).encode()),  # no zone
        _b64(json.dumps(["0001-01-01T00:00:00+14:00", "some-id"]).encode()),  # before year 1
        _b64(json.dumps(["2026-03-02T09:00:00+00:00", {"id": 1}]).encode()),
        _b64(json.dumps(["2026-03-02T09:00:00+00:00", None]).encode()),
        _b64(json.dumps(["2026-03-02T09:00:00+00:00", "nul\u0000byte"]).encode()),
    ],
)
def test_a_garbage_cursor_on_the_waitlists_list_is_a_422(client, tenant, cursor):
    response = client.get(tenant.path("/waitlists"), params={"cursor": cursor}, headers=tenant.auth)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["cursor"]


def test_an_overlong_cursor_is_a_422(client, tenant):
    response = client.get(
        tenant.path("/waitlists"), params={"cursor": "a" * 513}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_limit_outside_1_to_100_is_a_422(client, tenant, limit):
    response = client.get(tenant.path("/waitlists"), params={"limit": limit}, headers=tenant.auth)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["limit"]


def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(
    client, tenant, make_waitlist, clock
):
    # Three share one timestamp, so the id has to break the tie.
    made = [make_waitlist("a"), make_waitlist("b"), make_waitlist("c")]
    clock.advance(minutes=1)
    made += [make_waitlist("d"), make_waitlist("e")]
    expected = [
        w["id"] for w in sorted(made, key=lambda w: (w["created_at"], w["id"]), reverse=True)
    ]

    seen, cursor, pages = [], None, []
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = client.get(tenant.path("/waitlists"), params=params, headers=tenant.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page["pagination"])
        seen += [w["id"] for w in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10

    assert seen == expected
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert pages[-1]["next_cursor"] is None


def test_a_full_last_page_says_there_is_no_more(client, tenant, make_waitlist):
    make_waitlist("a")
    make_waitlist("b")
    page = client.get(tenant.path("/waitlists"), params={"limit": 2}, headers=tenant.auth).json()
    assert len(page["data"]) == 2
    assert page["pagination"] == {"next_cursor": None, "has_more": False}
