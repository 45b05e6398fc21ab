"""The daily timeline (spec §3, GET .../analytics/timeline): one row per UTC day in
[since, until), oldest first, empty days included, each figure counted on the day it
happened; bad windows are 422 naming the field; at most 366 days."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from waitline.analytics import repository

ZERO = {"signups": 0, "verified": 0, "referred": 0, "invited": 0}


def day(date: str, **figures) -> dict:
    return {"date": date, **ZERO, **figures}


@pytest.fixture
def days_one_and_four(open_waitlist, join, act, clock):
    """Two signups on 2 March (one referred), then on 5 March a third signup, the first
    person confirming and the second invited."""
    waitlist = open_waitlist()
    first = join(waitlist, "first@example.com")
    second = join(waitlist, "second@example.com", referred_by=first)
    clock.advance(days=3)
    join(waitlist, "third@example.com")
    act(waitlist, first, "confirm")
    act(waitlist, second, "invite")
    return waitlist


def test_signups_on_days_one_and_four_give_four_rows_with_the_empty_days_between(
    days_one_and_four, timeline
):
    response = timeline(days_one_and_four, since="2026-03-02", until="2026-03-06")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": [
            day("2026-03-02", signups=2, referred=1),
            day("2026-03-03"),
            day("2026-03-04"),
            day("2026-03-05", signups=1, verified=1, invited=1),
        ]
    }


def test_by_default_the_timeline_is_the_thirty_days_ending_today(days_one_and_four, timeline):
    rows = timeline(days_one_and_four).json()["data"]  # the clock says 5 March 2026
    assert len(rows) == 30
    assert (rows[0]["date"], rows[-1]["date"]) == ("2026-02-04", "2026-03-05")
    assert rows[-4] == day("2026-03-02", signups=2, referred=1)
    assert rows[-1] == day("2026-03-05", signups=1, verified=1, invited=1)
    assert all(row == day(row["date"]) for row in rows[:-4] + rows[-3:-1])


def test_only_since_runs_to_the_end_of_today_and_only_until_covers_thirty_days_before(
    days_one_and_four, timeline
):
    since_only = timeline(days_one_and_four, since="2026-03-04").json()["data"]
    assert [row["date"] for row in since_only] == ["2026-03-04", "2026-03-05"]
    until_only = timeline(days_one_and_four, until="2026-03-03").json()["data"]
    assert (len(until_only), until_only[0]["date"], until_only[-1]["date"]) == (
        30,
        "2026-02-01",
        "2026-03-02",
    )
    assert until_only[-1] == day("2026-03-02", signups=2, referred=1)


@pytest.mark.parametrize(
    ("since", "until", "rows"),
    [
        # The signup at 09:00Z on 2 March, with the window starting exactly then.
        ("2026-03-02T09:00:00Z", "2026-03-03", [day("2026-03-02", signups=1)]),
        # The same instant written with another offset; an end without one is UTC.
        ("2026-03-02T10:00:00+01:00", "2026-03-02T09:00:01", [day("2026-03-02", signups=1)]),
        # Ending exactly at the signup leaves it out.
        ("2026-03-01", "2026-03-02T10:00+01:00", [day("2026-03-01"), day("2026-03-02")]),
        # Starting just after it too.
        ("2026-03-02T09:00:00.000001Z", "2026-03-03", [day("2026-03-02")]),
    ],
)
def test_the_window_starts_at_since_inclusive_and_ends_at_until_exclusive(
    open_waitlist, join, timeline, since, until, rows
):
    waitlist = open_waitlist()
    join(waitlist, "only@example.com")
    response = timeline(waitlist, since=since, until=until)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == rows


def test_a_signup_late_in_the_utc_day_counts_on_that_day_whatever_the_session_time_zone(
    app, open_waitlist, join, timeline, clock
):
    waitlist = open_waitlist()
    clock.advance(hours=14, minutes=30)  # 23:30 UTC on 2 March; 3 March east of UTC+1
    join(waitlist, "late@example.com")
    response = timeline(waitlist, since="2026-03-02", until="2026-03-04")
    assert response.json()["data"] == [day("2026-03-02", signups=1), day("2026-03-03")]
    with app.state.db.transaction(write=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14
        start = clock.now() - timedelta(days=1)
        rows = repository.timeline(session, waitlist["id"], start, clock.now() + timedelta(1))
    assert [(row.day.isoformat(), row.signups) for row in rows] == [("2026-03-02", 1)]


def test_a_window_of_366_days_is_allowed(open_waitlist, timeline):
    response = timeline(open_waitlist(), since="2025-03-02", until="2026-03-03")
    assert response.status_code == 200, response.text
    rows = response.json()["data"]
    assert (len(rows), rows[0]["date"], rows[-1]["date"]) == (366, "2025-03-02", "2026-03-02")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2025-03-02", "until": "2026-03-03T00:00:01Z"}, "until"),  # 366 days + 1 s
        ({"since": "2025-01-01"}, "since"),  # over 366 days before the end of today
        ({"since": "2026-03-05", "until": "2026-03-02"}, "until"),
        ({"since": "2026-03-02", "until": "2026-03-02T00:00:00Z"}, "until"),  # empty window
        ({"since": "2026-04-01"}, "since"),  # after the end of today
        ({"since": "yesterday"}, "since"),
        ({"until": "1772409600"}, "until"),
        ({"since": "03/02/2026"}, "since"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-02-30"}, "since"),
        ({"since": "2026-03-02T25:00:00Z"}, "since"),
        ({"since": "2026-03-02T09:00:00+25:00"}, "since"),
        ({"since": "2026-03-02X09:00:00"}, "since"),
        ({"until": "0001-01-05"}, "until"),  # no 30 days before it
        ({"since": "2026-03-01", "until": ""}, "until"),
        ({"since": "2026-03-01" * 10}, "since"),
    ],
)
def test_a_bad_window_is_a_validation_error_naming_the_field(
    open_waitlist, timeline, problem, params, field
):
    body = problem(timeline(open_waitlist(), **params), 422, "validation_error")
    assert list(body["errors"]) == [field]
