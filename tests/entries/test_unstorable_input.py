"""Input no database can store as given is refused with a 422 naming the field, the same
way on SQLite and PostgreSQL, and nothing is stored: NUL characters (PostgreSQL refuses
them in text and JSONB), JSON numbers beyond 64 bits or not finite, nesting too deep.
Times in the admin filters beyond the years 1 to 9999 in UTC still compare (spec §0:
no 500 on bad input)."""

import pytest

PROBLEM = "application/problem+json"
NUMBER_FIELD = [{"key": "seats", "label": "Seats", "type": "number"}]


def assert_refused(response, field: str, says: str) -> dict:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert says in body["errors"][field][0], body
    return body


@pytest.fixture
def post_signup(client, url):
    def post(waitlist: dict, **body):
        return client.post(url(waitlist, "/entries"), json={"email": "ada@example.com", **body})

    return post


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada\u0000@example.com"}, "email"),
        ({"name": "Ada\u0000Lovelace"}, "name"),
        ({"referrer": "\u0000"}, "referrer"),
        ({"interest": "engines\u0000"}, "interest"),
        ({"referral_code": "abc\u0000"}, "referral_code"),
        ({"promo": "LAUNCH\u0000"}, "promo"),
        ({"utm": {"source": "news\u0000letter"}}, "utm.source"),
        ({"metadata": {"notes": "hi\u0000"}}, "metadata"),
        ({"metadata": {"no\u0000tes": "hi"}}, "metadata"),
    ],
)
def test_a_nul_character_in_a_signup_is_refused_and_nothing_is_stored(
    open_waitlist, post_signup, stored, body, field
):
    waitlist = open_waitlist(custom_fields=[{"key": "notes", "label": "Notes"}])
    assert_refused(post_signup(waitlist, **body), field, "NUL")
    assert stored.entries(waitlist["id"]) == []
    assert stored.events() == []


@pytest.mark.parametrize(
    ("json_body", "field", "says"),
    [
        # Text fields: pydantic's own JSON reader refuses it.
        ('{"email": "ada@example.com", "name": "Ada \\ud800"}', "name", "unicode"),
        ('{"email": "ada@example.com", "utm": {"source": "\\udfff"}}', "utm.source", "unicode"),
        # Free-form JSON: kit.fields refuses it.
        (
            '{"email": "ada@example.com", "metadata": {"notes": "x\\ud83d"}}',
            "metadata",
            "surrogate",
        ),
    ],
)
def test_a_lone_surrogate_is_refused_and_nothing_is_stored(
    client, url, open_waitlist, stored, json_body, field, says
):
    # JSON may spell one (half of an emoji's pair); it has no UTF-8 form to store.
    waitlist = open_waitlist(custom_fields=[{"key": "notes", "label": "Notes"}])
    response = client.post(
        url(waitlist, "/entries"), content=json_body, headers={"Content-Type": "application/json"}
    )
    assert_refused(response, field, says)
    assert stored.entries(waitlist["id"]) == []


@pytest.mark.parametrize("seats", [2**63, -(2**63) - 1, 2**64, 10**30])
def test_a_whole_number_beyond_64_bits_in_a_signup_is_refused(
    open_waitlist, post_signup, stored, seats
):
    waitlist = open_waitlist(custom_fields=NUMBER_FIELD)
    assert_refused(post_signup(waitlist, metadata={"seats": seats}), "metadata", "64 bits")
    assert stored.entries(waitlist["id"]) == []


@pytest.mark.parametrize("seats", [2**63 - 1, -(2**63), 0, 12.5])
def test_numbers_within_64_bits_are_kept_exactly(open_waitlist, post_signup, stored, seats):
    waitlist = open_waitlist(custom_fields=NUMBER_FIELD)
    response = post_signup(waitlist, metadata={"seats": seats})
    assert response.status_code == 201, response.text
    assert stored.entry(response.json()["id"]).metadata_ == {"seats": seats}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_refused(client, url, open_waitlist, stored, number):
    # Python's JSON reader accepts these; no JSON writer can give them back.
    waitlist = open_waitlist(custom_fields=NUMBER_FIELD)
    raw = f'{{"email": "ada@example.com", "metadata": {{"seats": {number}}}}}'
    response = client.post(
        url(waitlist, "/entries"), content=raw, headers={"Content-Type": "application/json"}
    )
    assert_refused(response, "metadata", "finite")
    assert stored.entries(waitlist["id"]) == []


def test_metadata_nested_too_deep_is_refused(open_waitlist, post_signup, stored):
    deep: dict = {}
    inner = deep
    for _ in range(300):
        inner["a"] = {}
        inner = inner["a"]
    assert_refused(post_signup(open_waitlist(), metadata=deep), "metadata", "levels deep")
    assert stored.entries() == []


def test_a_nul_character_in_the_public_path_is_no_such_waitlist(client, url, open_waitlist):
    waitlist = open_waitlist()
    for path in (
        f"/v1/waitlists/{waitlist['workspace_slug']}%00/{waitlist['slug']}",
        f"/v1/waitlists/{waitlist['workspace_slug']}/{waitlist['slug']}%00/leaderboard",
    ):
        response = client.get(path)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "waitlist_not_found"
    response = client.post(
        f"/v1/waitlists/{waitlist['workspace_slug']}/%00{waitlist['slug']}/entries",
        json={"email": "ada@example.com"},
    )
    assert response.status_code == 404, response.text


# --- the admin entries endpoints ------------------------------------------------------


@pytest.fixture
def admin_entries(client, tenant):
    def request(method: str, waitlist: dict, rest: str = "", **kwargs):
        path = tenant.path(f"/waitlists/{waitlist['id']}/entries{rest}")
        return client.request(method, path, headers=tenant.auth, **kwargs)

    return request


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"name": "Ada\u0000"}, "name", "NUL"),
        ({"metadata": {"note": "a\u0000b"}}, "metadata", "NUL"),
        ({"metadata": {"a\u0000": 1}}, "metadata", "NUL"),
        ({"metadata": {"big": 2**64}}, "metadata", "64 bits"),
        ({"metadata": {"list": [1, [-(2**70)]]}}, "metadata", "64 bits"),
    ],
)
def test_an_admin_patch_that_cannot_be_stored_is_refused_and_changes_nothing(
    open_waitlist, join, admin_entries, stored, body, field, says
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com", name="Ada")
    assert_refused(admin_entries("PATCH", waitlist, f"/{ada['id']}", json=body), field, says)
    entry = stored.entry(ada["id"])
    assert (entry.name, entry.metadata_) == ("Ada", {})


@pytest.mark.parametrize("field", ["search", "referred_by"])
@pytest.mark.parametrize("paging", [{}, {"page": 1}])
def test_a_nul_character_in_a_list_filter_is_refused(
    open_waitlist, join, admin_entries, field, paging
):
    waitlist = open_waitlist()
    join(waitlist, "ada@example.com")
    response = admin_entries("GET", waitlist, params={field: "ad\u0000a", **paging})
    assert_refused(response, field, "NUL")


@pytest.mark.parametrize(
    ("bounds", "finds_ada"),
    [
        # Before year 1 in UTC: earlier than every stored time.
        ({"created_after": "0001-01-01T00:00+01:00"}, True),
        ({"created_before": "0001-01-01T00:00+01:00"}, False),
        # After 9999 in UTC: later than every stored time.
        ({"created_before": "9999-12-31T23:59-01:00"}, True),
        ({"created_after": "9999-12-31T23:59-01:00"}, False),
        (
            {"created_after": "0001-01-01T00:00+14:00", "created_before": "9999-12-31T23:59-12:00"},
            True,
        ),
    ],
)
@pytest.mark.parametrize("paging", [{}, {"page": 1}])
def test_times_beyond_the_years_one_to_9999_in_utc_filter_like_the_nearest_time(
    open_waitlist, join, admin_entries, bounds, finds_ada, paging
):
    waitlist = open_waitlist()
    ada = join(waitlist, "ada@example.com")
    response = admin_entries("GET", waitlist, params={**bounds, **paging})
    assert response.status_code == 200, response.text
    assert [e["id"] for e in response.json()["data"]] == ([ada["id"]] if finds_ada else [])
