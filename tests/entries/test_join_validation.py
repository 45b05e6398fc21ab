"""What a signup must satisfy (spec §1 Entry, §2 join errors): each bad input answers 422
with the right code and the field it is about, and nothing is stored."""

import pytest

CUSTOM_FIELDS = [
    {"key": "company", "label": "Company", "type": "text", "required": True},
    {"key": "seats", "label": "Seats", "type": "number"},
    {"key": "plan", "label": "Plan", "type": "select", "options": ["free", "team"]},
    {"key": "terms", "label": "I agree", "type": "checkbox"},
    {"key": "site", "label": "Website", "type": "url"},
    {"key": "work_email", "label": "Work email", "type": "email"},
]


@pytest.fixture
def refused(client, url, stored):
    """POST a signup that must be refused with 422; the problem document, once it is
    checked that nothing at all was stored."""

    def post(waitlist: dict, body: dict, code: str = "validation_error") -> dict:
        response = client.post(url(waitlist, "/entries"), json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422
        assert problem["code"] == code, problem
        assert stored.entries() == []
        assert stored.events() == []
        assert stored.messages() == []
        return problem

    return post


@pytest.mark.parametrize(
    "email",
    [
        "ada lovelace@example.com",
        " ada@example.com",
        "ada@example.com ",
        "ada@exa mple.com",
        "ada@@example.com",
        "ada@b@example.com",
        "ada",
        "@example.com",
        "ada@",
        "",
        "ada@localhost",
        "a" * 288 + "@example.com",  # 300 characters
        "ada@ex\u0430mple.com",  # Cyrillic a (U+0430) in a Latin name: a look-alike
        "ada@\u0440\u0430ypal.com",  # Cyrillic er and a (U+0440, U+0430)
        "ada@\u0430\u0440\u0440\u04cf\u0435.com",  # all Cyrillic, yet reads "apple"
    ],
)
def test_malformed_or_look_alike_addresses_are_invalid_email(open_waitlist, refused, email):
    problem = refused(open_waitlist(), {"email": email}, code="invalid_email")
    assert list(problem["errors"]) == ["email"]
    assert problem["errors"]["email"][0].startswith("Not a valid email address")


def test_an_address_in_one_foreign_script_is_fine(open_waitlist, join):
    body = join(
        open_waitlist(), "\u0430\u0434\u0430@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"
    )
    assert body["position"] == 1


def test_a_name_wholly_in_look_alike_letters_is_refused_with_the_reason(open_waitlist, refused):
    problem = refused(
        open_waitlist(), {"email": "ada@\u0430\u0440\u0440\u04cf\u0435.com"}, code="invalid_email"
    )
    assert problem["errors"] == {
        "email": [
            "Not a valid email address: the domain '\u0430\u0440\u0440\u04cf\u0435' is written"
            " in Cyrillic letters that all look like Latin ones, as look-alike domains are."
        ]
    }


def test_a_japanese_domain_mixing_han_and_katakana_is_fine(open_waitlist, join):
    body = join(open_waitlist(), "taro@日本語ドメイン.jp")
    assert body["email"] == "taro@日本語ドメイン.jp"


def test_a_missing_email_is_a_validation_error(open_waitlist, refused):
    problem = refused(open_waitlist(), {"name": "Ada"})
    assert "email" in problem["errors"]


@pytest.mark.parametrize(
    "email", ["ada@mailinator.com", "ada@eu.mailinator.com", "ada@a.b.MAILINATOR.com"]
)
def test_throwaway_domains_and_their_subdomains_are_refused(open_waitlist, refused, email):
    problem = refused(open_waitlist(), {"email": email}, code="invalid_email")
    assert problem["errors"] == {
        "email": ["Addresses at throwaway email providers are not accepted."]
    }


def test_throwaway_domains_are_accepted_when_the_waitlist_allows_them(open_waitlist, join):
    waitlist = open_waitlist(block_disposable_emails=False)
    assert join(waitlist, "ada@eu.mailinator.com")["email"] == "ada@eu.mailinator.com"


def test_a_domain_that_merely_ends_like_a_throwaway_one_is_fine(open_waitlist, join):
    assert join(open_waitlist(), "ada@mymailinator-fan.com")["position"] == 1


@pytest.mark.parametrize("metadata", [["a", "b"], "text", 3, True])
def test_metadata_must_be_an_object(open_waitlist, refused, metadata):
    problem = refused(open_waitlist(), {"email": "ada@example.com", "metadata": metadata})
    assert list(problem["errors"]) == ["metadata"]


def test_metadata_over_8_kib_is_refused_though_the_body_fits(open_waitlist, refused):
    waitlist = open_waitlist(custom_fields=[{"key": "notes", "label": "Notes"}])
    body = {"email": "ada@example.com", "metadata": {"notes": "x" * (60 * 1024)}}
    problem = refused(waitlist, body)
    assert problem["errors"] == {"metadata": ["Must be at most 8 KiB."]}


def test_a_body_over_64_kib_is_refused_with_413(client, url, open_waitlist, stored):
    waitlist = open_waitlist()
    body = {"email": "ada@example.com", "metadata": {"notes": "x" * (65 * 1024)}}
    response = client.post(url(waitlist, "/entries"), json=body)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert stored.entries() == []


@pytest.mark.parametrize(
    ("metadata", "field", "message"),
    [
        ({"company": "Acme", "seats": "12"}, "metadata.seats", "Must be a number."),
        ({"company": "Acme", "seats": True}, "metadata.seats", "Must be a number."),
        ({"company": "Acme", "plan": "enterprise"}, "metadata.plan", "Must be one of the options."),
        ({"company": "Acme", "terms": "yes"}, "metadata.terms", "Must be true or false."),
        ({"company": 42}, "metadata.company", "Must be text."),
        ({"company": "x" * 1001}, "metadata.company", "Must be at most 1000 characters."),
        ({"seats": 3}, "metadata.company", "Required."),
        ({"company": ""}, "metadata.company", "Required."),
        (
            {"company": "Acme", "favourite": "tea"},
            "metadata.favourite",
            "Not a field of this waitlist.",
        ),
    ],
)
def test_custom_field_answers_are_checked_against_their_definition(
    open_waitlist, refused, metadata, field, message
):
    waitlist = open_waitlist(custom_fields=CUSTOM_FIELDS)
    problem = refused(waitlist, {"email": "ada@example.com", "metadata": metadata})
    assert problem["errors"] == {field: [message]}


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"company": "Acme", "site": "javascript:alert(1)"}, "metadata.site"),
        ({"company": "Acme", "site": "example.com"}, "metadata.site"),
        ({"company": "Acme", "work_email": "not-an-address"}, "metadata.work_email"),
    ],
)
def test_url_and_email_answers_must_be_well_formed(open_waitlist, refused, metadata, field):
    waitlist = open_waitlist(custom_fields=CUSTOM_FIELDS)
    problem = refused(waitlist, {"email": "ada@example.com", "metadata": metadata})
    assert list(problem["errors"]) == [field]


def test_a_required_checkbox_must_be_checked(open_waitlist, refused):
    waitlist = open_waitlist(
        custom_fields=[{"key": "terms", "label": "Terms", "type": "checkbox", "required": True}]
    )
    problem = refused(waitlist, {"email": "ada@example.com", "metadata": {"terms": False}})
    assert problem["errors"] == {"metadata.terms": ["Must be checked."]}


def test_every_problem_with_the_answers_is_reported_at_once(open_waitlist, refused):
    waitlist = open_waitlist(custom_fields=CUSTOM_FIELDS, collect_name="required")
    body = {"email": "ada@example.com", "metadata": {"seats": "many", "extra": 1}}
    problem = refused(waitlist, body)
    assert set(problem["errors"]) == {
        "name",
        "metadata.company",
        "metadata.seats",
        "metadata.extra",
    }


def test_valid_answers_are_stored(open_waitlist, join, stored):
    waitlist = open_waitlist(custom_fields=CUSTOM_FIELDS)
    metadata = {
        "company": "Acme",
        "seats": 12.5,
        "plan": "team",
        "terms": True,
        "site": "https://acme.example",
        "work_email": "ada@acme.example",
    }
    body = join(waitlist, "ada@example.com", metadata=metadata)
    assert stored.entry(body["id"]).metadata_ == metadata


@pytest.mark.parametrize("name", [None, "", "   "])
def test_a_required_name_must_be_given(open_waitlist, refused, name):
    waitlist = open_waitlist(collect_name="required")
    problem = refused(waitlist, {"email": "ada@example.com", "name": name})
    assert problem["errors"] == {"name": ["Required."]}


def test_a_hidden_name_is_not_kept(open_waitlist, join, stored):
    waitlist = open_waitlist(collect_name="hidden")
    body = join(waitlist, "ada@example.com", name="Ada")
    assert body["name"] is None
    assert stored.entry(body["id"]).name is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "call me"}, "phone"),
        ({"name": "x" * 201}, "name"),
        ({"source": "import"}, "source"),
        ({"utm": {"source": "x", "term": "y"}}, "utm.term"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_other_bad_fields_are_validation_errors_naming_the_field(
    open_waitlist, refused, body, field
):
    problem = refused(open_waitlist(), {"email": "ada@example.com", **body})
    assert field in problem["errors"], problem


def test_malformed_json_is_a_validation_error(client, url, open_waitlist, stored):
    response = client.post(
        url(open_waitlist(), "/entries"),
        content=b'{"email": "ada@example.com"',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert stored.entries() == []


HOSTILE = {
    "name": "Robert'); DROP TABLE entries;--",
    "interest": "<script>alert('x')</script>",
    "referrer": '<img src=x onerror="alert(1)"> \' OR 1=1 --',
}


def test_sql_and_html_in_text_fields_are_stored_verbatim(open_waitlist, join, stored):
    waitlist = open_waitlist(custom_fields=[{"key": "notes", "label": "Notes"}])
    notes = "'; DELETE FROM waitlists; -- <b>bold</b> &amp;"
    utm = {"source": "x' OR '1'='1", "medium": "<i>mail</i>", "campaign": '"; DROP --'}
    body = join(
        waitlist,
        "ada@example.com",
        metadata={"notes": notes},
        utm=utm,
        **HOSTILE,
    )

    entry = stored.entry(body["id"])
    assert entry.name == HOSTILE["name"]
    assert entry.interest == HOSTILE["interest"]
    assert entry.referrer == HOSTILE["referrer"]
    assert entry.metadata_ == {"notes": notes}
    assert entry.utm == utm
    assert body["name"] == HOSTILE["name"]
    # The tables are all still there and the next signup works.
    assert join(waitlist, "bob@example.com")["position"] == 2
