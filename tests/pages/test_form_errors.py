"""A refused signup re-renders the hosted form (spec §6): the message next to its field, the
input kept, the right status; never a JSON problem document in the visitor's face."""

import re

import pytest
from fastapi.testclient import TestClient


def _field_error(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', html)
    assert found, f"no error shown for {field_id}"
    return found.group(1)


def test_an_invalid_email_is_shown_next_to_the_field_with_the_input_kept(
    path, open_waitlist, sign_up
):
    waitlist = open_waitlist()

    response = sign_up(waitlist, "not-an-email", name="Ada")

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Not a valid email address" in _field_error(response.text, "email")
    assert (
        'value="not-an-email" aria-invalid="true" aria-describedby="email-error"' in response.text
    )
    assert 'value="Ada"' in response.text
    assert "Please check the fields marked below." in response.text


def test_a_throwaway_address_is_refused_next_to_the_field(path, open_waitlist, sign_up):
    response = sign_up(open_waitlist(), "someone@mailinator.com")

    assert response.status_code == 422
    assert "throwaway" in _field_error(response.text, "email")


def test_an_address_already_on_the_list_is_refused_next_to_the_email_field(
    path, open_waitlist, sign_up, joined
):
    waitlist = open_waitlist()
    joined(waitlist, "ada@example.com")

    response = sign_up(waitlist, "ADA@example.com")

    assert response.status_code == 409
    assert "already on the waitlist" in _field_error(response.text, "email")
    assert 'value="ADA@example.com"' in response.text


def test_a_missing_required_name_and_custom_field_are_marked_each_by_its_field(
    path, open_waitlist, sign_up
):
    waitlist = open_waitlist(
        collect_name="required",
        custom_fields=[{"key": "company", "label": "Company", "type": "text", "required": True}],
    )

    response = sign_up(waitlist, "ada@example.com", **{"metadata.company": ""})

    assert response.status_code == 422
    assert _field_error(response.text, "name") == "Required."
    assert _field_error(response.text, "metadata.company") == "Required."


def test_a_number_field_given_words_says_so_and_keeps_them(path, open_waitlist, sign_up):
    waitlist = open_waitlist(custom_fields=[{"key": "seats", "label": "Seats", "type": "number"}])

    response = sign_up(waitlist, "ada@example.com", **{"metadata.seats": "a dozen"})

    assert response.status_code == 422
    assert _field_error(response.text, "metadata.seats") == "Must be a number."
    assert 'value="a dozen"' in response.text


def test_an_overlong_name_is_refused_on_the_page_not_with_a_500(path, open_waitlist, sign_up):
    response = sign_up(open_waitlist(), "ada@example.com", name="x" * 500)

    assert response.status_code == 422
    assert "at most 200 characters" in _field_error(response.text, "name")


@pytest.mark.parametrize("status", ["paused", "closed"])
def test_a_waitlist_not_taking_signups_shows_the_page_without_the_form(
    client, path, make_waitlist, sign_up, status
):
    waitlist = make_waitlist("launch", status=status)

    page = client.get(path(waitlist))
    refused = sign_up(waitlist, "ada@example.com")

    assert page.status_code == 200
    assert "not taking signups" in page.text and "<form" not in page.text
    assert refused.status_code == 403
    assert 'role="alert"' in refused.text and "not taking signups" in refused.text


def test_a_full_waitlist_says_so_above_the_form(path, open_waitlist, sign_up, joined):
    waitlist = open_waitlist(max_entries=1)
    joined(waitlist, "ada@example.com")

    response = sign_up(waitlist, "grace@example.com")

    assert response.status_code == 403
    assert re.search(
        r'<p class="error" role="alert" id="form-error">This waitlist is full', response.text
    )
    assert 'value="grace@example.com"' in response.text


def test_too_many_signups_from_one_address_are_refused_on_the_page(
    make_app, path, open_waitlist, within_one_window
):
    waitlist = open_waitlist()
    limited = TestClient(make_app(rate_limit_signup="2/minute"))

    def attempt(suffix: str) -> None:
        for n in range(2):
            ok = limited.post(path(waitlist), data={"email": f"p{n}{suffix}@example.com"})
            assert ok.status_code in (200, 303), ok.text
        refused = limited.post(
            path(waitlist), data={"email": f"late{suffix}@example.com"}, follow_redirects=False
        )
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("text/html")
        assert "Retry-After" in refused.headers
        assert 'role="alert"' in refused.text
        assert f'value="late{suffix}@example.com"' in refused.text

    within_one_window(attempt)
