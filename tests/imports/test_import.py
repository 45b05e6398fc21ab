"""`POST .../imports` and `GET .../imports/{id}`: a CSV file of people, imported as a job
that reports every row it could not import."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from waitline.db.models import Entry, LineBucket

ISSUE_ROWS = [
    ["email", "name", "created_at", "favourite_colour"],
    ["ann@example.com", "Ann", "2025-01-01T10:00:00Z", "red"],
    ["Bob.Smith@gmail.com", "Bob", "2025-01-02T10:00:00Z", "blue"],
    ["cat@example.com", "Cat", "2025-01-03T10:00:00Z", ""],
    ["dan@example.com", "Dan, Jr.", "2025-01-04T10:00:00Z", ""],
    ["eve@example.com", 'Eve "E"', "2025-01-05T10:00:00Z", ""],
    ["fay@example.com", "Fay\nLine two", "2025-01-06T10:00:00Z", ""],
    ["not-an-email", "Bad", "2025-01-07T10:00:00Z", ""],
    ["gus@example.com", "Gus 🎉", "2025-01-08T10:00:00Z", ""],
    ["bobsmith+news@GMAIL.com", "Bob again", "2025-01-09T10:00:00Z", ""],
    ["hal@example.com", "Hal", "2025-01-10T10:00:00Z", ""],
]


def test_a_file_with_bom_crlf_an_unknown_column_a_bad_email_and_a_duplicate(
    open_waitlist, csv_io, stored
):
    waitlist = open_waitlist()
    content = csv_io.file(ISSUE_ROWS, bom=True, line_end="\r\n")
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" in content

    accepted = csv_io.upload(waitlist, content)
    assert accepted["status"] == "queued"
    assert accepted["total"] == 10
    job = csv_io.wait(waitlist, accepted["id"])

    assert job["status"] == "done"
    assert (job["total"], job["processed"], job["imported"], job["skipped"]) == (10, 10, 8, 2)
    assert [problem["row"] for problem in job["errors"]] == [7, 9]
    bad_email, duplicate = job["errors"]
    assert bad_email["message"].startswith("email: Not a valid email address")
    assert duplicate["message"] == "Duplicate of row 2: the same email."
    assert job["ignored_columns"] == ["favourite_colour"]
    assert job["finished_at"] is not None
    names = [entry.name for entry in stored.entries(waitlist["id"])]
    assert names == ["Ann", "Bob", "Cat", "Dan, Jr.", 'Eve "E"', "Fay\nLine two", "Gus 🎉", "Hal"]


def test_the_upload_answers_202_with_the_job_and_where_to_follow_it(open_waitlist, csv_io):
    waitlist = open_waitlist()
    accepted = csv_io.upload(waitlist, csv_io.file([["email"], ["ann@example.com"]]))
    assert set(accepted) >= {"id", "status", "processed", "imported", "skipped", "errors"}
    assert accepted["status"] == "queued"
    assert accepted["filename"] == "people.csv"
    assert csv_io.wait(waitlist, accepted["id"])["imported"] == 1


def test_created_at_keeps_the_original_order_behind_those_already_waiting(
    open_waitlist, join, csv_io, stored
):
    waitlist = open_waitlist()
    early = join(waitlist, "early@example.com")
    rows = [
        ["email", "created_at"],
        ["third@example.com", "2025-03-01T00:00:00+02:00"],
        ["undated@example.com", ""],
        ["first@example.com", "2024-12-31"],
        ["second@example.com", "2025-02-28 21:00:00"],  # no zone: UTC
    ]

    job = csv_io.run(waitlist, csv_io.file(rows))

    assert job["imported"] == 4
    exported = csv_io.rows(waitlist)  # in line order
    assert [(row["email"], row["position"]) for row in exported] == [
        (early["email"], "1"),
        ("first@example.com", "2"),
        ("second@example.com", "3"),
        ("third@example.com", "4"),
        ("undated@example.com", "5"),
    ]
    created = {row["email"]: row["created_at"] for row in exported}
    assert created["first@example.com"] == "2024-12-31T00:00:00Z"
    assert created["second@example.com"] == "2025-02-28T21:00:00Z"
    assert created["third@example.com"] == "2025-02-28T22:00:00Z"
    assert created["undated@example.com"] == "2026-03-02T09:00:00Z"  # the import's time
    seqs = {entry.email: entry.seq for entry in stored.entries(waitlist["id"])}
    assert seqs["first@example.com"] < seqs["second@example.com"] < seqs["third@example.com"]


def test_referred_by_email_credits_the_referrer_even_one_later_in_the_file(
    open_waitlist, csv_io, stored
):
    waitlist = open_waitlist(referral_boost=10)
    rows = [
        ["email", "referred_by_email", "created_at"],
        ["a@example.com", "E@example.com", "2025-01-01"],  # e is imported after a
        ["b@example.com", "", "2025-01-02"],
        ["c@example.com", "a@example.com", "2025-01-03"],  # a is there already
        ["d@example.com", "", "2025-01-04"],
        ["e@example.com", "", "2025-01-05"],
    ]

    job = csv_io.run(waitlist, csv_io.file(rows))

    assert (job["imported"], job["errors"]) == (5, [])
    people = stored.by_email(waitlist["id"])
    assert people["a@example.com"].referred_by_entry_id == people["e@example.com"].id
    assert people["c@example.com"].referred_by_entry_id == people["a@example.com"].id
    assert people["a@example.com"].referral_count == 1
    assert people["e@example.com"].referral_count == 1
    assert people["b@example.com"].referral_count == 0
    assert len(stored.events("entry.referral_credited")) == 2
    exported = csv_io.rows(waitlist)
    assert [row["email"][0] for row in exported] == ["a", "e", "b", "c", "d"]  # moved up
    assert [row["referred_by_email"] for row in exported] == [
        "e@example.com",
        "",
        "",
        "a@example.com",
        "",
    ]


def test_referrals_that_cannot_be_rebuilt_are_reported_and_the_people_imported(
    open_waitlist, csv_io, stored
):
    waitlist = open_waitlist()
    rows = [
        ["email", "referred_by_email"],
        ["a@example.com", "nobody@example.com"],
        ["b@example.com", "B@example.com"],
        ["c@example.com", "not an address"],
    ]

    job = csv_io.run(waitlist, csv_io.file(rows))

    assert (job["imported"], job["skipped"]) == (2, 1)
    assert [(p["row"], p["message"].split(":")[0]) for p in job["errors"]] == [
        (1, "referred_by_email"),
        (2, "referred_by_email"),
        (3, "referred_by_email"),
    ]
    assert "nobody with this address" in job["errors"][0]["message"]
    assert "cannot refer themselves" in job["errors"][1]["message"]
    assert all(e.referred_by_entry_id is None for e in stored.entries(waitlist["id"]))


def test_without_send_email_an_import_queues_no_messages(open_waitlist, csv_io, stored):
    waitlist = open_waitlist()
    rows = [
        ["email", "referred_by_email"],
        ["a@example.com", ""],
        ["b@example.com", "a@example.com"],
    ]

    job = csv_io.run(waitlist, csv_io.file(rows))

    assert job["imported"] == 2
    assert stored.events("entry.referral_credited")  # the credit was given, quietly
    assert stored.messages() == []


def test_with_send_email_each_person_gets_what_a_signup_gets(open_waitlist, csv_io, stored):
    waitlist = open_waitlist()
    rows = [
        ["email", "referred_by_email", "status", "unsubscribed_at"],
        ["a@example.com", "", "", ""],
        ["b@example.com", "a@example.com", "", ""],
        ["c@example.com", "", "rejected", ""],
        ["d@example.com", "", "", "2025-06-01"],
    ]

    job = csv_io.run(waitlist, csv_io.file(rows), send_email=True)

    assert job["send_email"] is True
    sent = sorted((m.template, m.to_address) for m in stored.messages())
    assert sent == [
        ("referral_credited", "a@example.com"),
        ("welcome", "a@example.com"),
        ("welcome", "b@example.com"),
    ]


def test_imported_people_go_through_the_line_as_signups_do(
    open_waitlist, csv_io, stored, app, client, tenant
):
    waitlist = open_waitlist(double_opt_in=True)
    rows = [
        ["email", "status", "verified", "verified_at", "invited_at", "country", "utm_source"],
        ["a@example.com", "approved", "true", "2025-01-02T00:00:00Z", "", "gb", "hn"],
        ["b@example.com", "", "yes", "", "", "", ""],
        ["c@example.com", "", "", "", "", "", ""],  # unverified under double opt-in: waits
        ["d@example.com", "rejected", "1", "", "", "", ""],
        ["e@example.com", "", "true", "", "2025-02-01", "", ""],
    ]

    job = csv_io.run(waitlist, csv_io.file(rows), send_email=True)

    assert job["imported"] == 5
    people = stored.by_email(waitlist["id"])
    assert {p.email for p in people.values() if p.waiting} == {"a@example.com", "b@example.com"}
    assert all(p.source == "import" for p in people.values())
    a = people["a@example.com"]
    assert (a.status, a.verified, a.country, a.utm) == (
        "approved",
        True,
        "GB",
        {"source": "hn", "medium": None, "campaign": None},
    )
    assert a.verified_at == datetime(2025, 1, 2, tzinfo=UTC)
    assert people["b@example.com"].verified_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert people["e@example.com"].invited_at == datetime(2025, 2, 1, tzinfo=UTC)
    created = stored.events("entry.created")
    assert sorted(e.data["email"] for e in created) == sorted(people)
    assert [m.to_address for m in stored.messages() if m.template == "verify"] == ["c@example.com"]
    counts = client.get(
        tenant.path(f"/waitlists/{waitlist['id']}/entries/count"), headers=tenant.auth
    ).json()
    assert (counts["total"], counts["waiting"], counts["invited"]) == (5, 2, 1)
    with app.state.db.transaction(write=False) as session:
        per_level = dict(
            session.execute(
                select(LineBucket.level, func.sum(LineBucket.count))
                .where(LineBucket.waitlist_id == waitlist["id"])
                .group_by(LineBucket.level)
            ).all()
        )
        waiting = session.scalar(
            select(func.count()).where(Entry.waitlist_id == waitlist["id"], Entry.waiting)
        )
    assert waiting == 2
    # The same entries in buckets, in blocks, and in the whole line's count.
    assert per_level == {0: 2, 1: 2, 2: 2}


def test_bad_rows_are_reported_and_never_stop_the_good_ones(open_waitlist, join, csv_io, stored):
    waitlist = open_waitlist(
        custom_fields=[
            {"key": "seats", "label": "Seats", "type": "number"},
            {"key": "plan", "label": "Plan", "type": "select", "options": ["free", "pro"]},
        ]
    )
    join(waitlist, "taken@example.com")
    rows = [
        ["email", "created_at", "status", "verified", "seats", "plan", "country", "phone"],
        ["ok1@example.com", "2025-01-01", "approved", "true", "3", "pro", "DE", "+49 30 1234"],
        ["TAKEN@example.com", "", "", "", "", "", "", ""],
        ["when@example.com", "last tuesday", "", "", "", "", "", ""],
        ["future@example.com", "2030-01-01", "", "", "", "", "", ""],
        ["status@example.com", "", "waiting", "", "", "", "", ""],
        ["verified@example.com", "", "", "maybe", "", "", "", ""],
        ["seats@example.com", "", "", "", "many", "", "", ""],
        ["plan@example.com", "", "", "", "", "gold", "", ""],
        ["country@example.com", "", "", "", "", "", "Germany", ""],
        ["phone@example.com", "", "", "", "", "", "", "call me"],
        ["wide@example.com", "", "", "", "", "", "", "", "extra"],
        ["", "", "", "", "", "", "", ""],  # blank: not a row to report
        ["ok2@example.com", "", "", "", "2.5", "free", "", ""],
    ]

    job = csv_io.run(waitlist, csv_io.file(rows))

    assert (job["total"], job["processed"], job["imported"], job["skipped"]) == (12, 12, 2, 10)
    reasons = {problem["row"]: problem["message"] for problem in job["errors"]}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert reasons[2] == "Already on the waitlist: the same email."
    assert reasons[3].startswith("created_at: 'last tuesday' is not an ISO-8601")
    assert reasons[4] == "created_at: '2030-01-01' is in the future."
    assert reasons[5].startswith("status: 'waiting' is not one of")
    assert reasons[6].startswith("verified: 'maybe'")
    assert reasons[7] == "metadata.seats: Must be a number."
    assert reasons[8] == "metadata.plan: Must be one of the options."
    assert reasons[9].startswith("country: 'Germany'")
    assert reasons[10].startswith("phone: ")
    assert reasons[11] == "The row has 9 cells; the header names 8."
    people = stored.by_email(waitlist["id"])
    assert people["ok1@example.com"].metadata_ == {"seats": 3, "plan": "pro"}
    assert people["ok2@example.com"].metadata_ == {"seats": 2.5, "plan": "free"}
    assert set(people) == {"taken@example.com", "ok1@example.com", "ok2@example.com"}


def test_semicolons_plain_line_ends_and_a_draft_waitlist_are_fine(make_waitlist, csv_io):
    waitlist = make_waitlist("draft-list")  # not open yet: the team may still import
    content = b"Email;Name\nann@example.com;Ann\nbob@example.com;Bob, B.\n"

    job = csv_io.run(waitlist, content)

    assert (job["imported"], job["errors"]) == (2, [])
    assert [row["name"] for row in csv_io.rows(waitlist)] == ["Ann", "Bob, B."]


def test_an_exported_file_imports_back_the_same(open_waitlist, join, csv_io, client, tenant, clock):
    fields = [
        {"key": "company", "label": "Company"},
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "agree", "label": "Agree", "type": "checkbox"},
    ]
    source = open_waitlist("source", custom_fields=fields, referral_same_ip_credit=True)
    names = ["Doe, Jane", '=HYPERLINK("x")', "'=quoted", "Emoji 🎉", "Two\nlines", "-dash"]
    people = []
    for i, name in enumerate(names):
        referral = {"referral_code": people[0]["referral_code"]} if i in (3, 4) else {}
        people.append(
            join(
                source,
                f"p{i}@example.com",
                name=name,
                phone="+1 555 0100",
                utm={"source": "=src"},
                metadata={"company": "@corp", "seats": i, "agree": i % 2 == 0},
                **referral,
            )
        )
        clock.advance(minutes=5)
    response = client.patch(
        tenant.path(f"/waitlists/{source['id']}/entries/{people[5]['id']}"),
        json={"status": "rejected"},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    exported = csv_io.export(source).content
    target = open_waitlist("target", custom_fields=fields)

    job = csv_io.run(target, exported)

    assert (job["imported"], job["errors"], job["ignored_columns"]) == (6, [], [])
    before, after = csv_io.rows(source), csv_io.rows(target)
    changed = {"id", "referral_code", "source"}
    assert [{k: v for k, v in row.items() if k not in changed} for row in after] == [
        {k: v for k, v in row.items() if k not in changed} for row in before
    ]
    assert {row["source"] for row in after} == {"import"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,phone\r\nAnn,123\r\n", "The file needs an `email` column."),
        (b"", "The file is empty"),
        ("email\r\nzoë@example.com\r\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"email,Email\r\na@example.com,b@example.com\r\n", "Columns named more than once"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_at_upload(open_waitlist, csv_io, content, message):
    body = csv_io.upload(open_waitlist(), content, expect=422)
    assert body["code"] == "validation_error"
    assert body["errors"]["file"][0].startswith(message)


def test_an_upload_without_a_file_is_422(open_waitlist, client, tenant, csv_io):
    waitlist = open_waitlist()
    response = client.post(
        csv_io.base(waitlist) + "/imports", data={"send_email": "false"}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_an_upload_larger_than_64_kib_is_taken(open_waitlist, csv_io):
    rows = [["email", "interest"]] + [[f"p{i}@example.com", "x" * 200] for i in range(400)]
    content = csv_io.file(rows)
    assert len(content) > 64 * 1024

    job = csv_io.run(open_waitlist(), content)

    assert (job["imported"], job["skipped"]) == (400, 0)


def test_a_read_key_cannot_import(open_waitlist, csv_io, tenant):
    body = csv_io.upload(
        open_waitlist(),
        csv_io.file([["email"], ["a@example.com"]]),
        expect=403,
        headers=tenant.read_auth,
    )
    assert body["code"] == "forbidden"


def test_another_workspace_sees_nothing_of_imports_and_exports(
    open_waitlist, make_tenant, make_waitlist, csv_io, client, tenant
):
    mine = open_waitlist()
    other = make_tenant("other")
    theirs = make_waitlist("theirs", owner=other, status="open")
    their_job = client.post(
        csv_io.base(theirs, other) + "/imports",
        files={"file": ("x.csv", b"email\r\nz@example.com\r\n", "text/csv")},
        headers=other.auth,
    )
    assert their_job.status_code == 202, their_job.text
    my_job = csv_io.run(mine, csv_io.file([["email"], ["a@example.com"]]))
    file = {"file": ("x.csv", b"email\r\na@example.com\r\n", "text/csv")}

    # Their waitlist id under my workspace, and my waitlist id under theirs.
    for base in (tenant.path(f"/waitlists/{theirs['id']}"), other.path(f"/waitlists/{mine['id']}")):
        answers = [
            client.get(base + "/entries/export.csv", headers=tenant.auth),
            client.post(base + "/imports", files=file, headers=tenant.auth),
            client.get(base + f"/imports/{my_job['id']}", headers=tenant.auth),
        ]
        for response in answers:
            assert response.status_code == 404, response.text
    # Their job id under my own waitlist.
    response = client.get(
        csv_io.base(mine) + f"/imports/{their_job.json()['id']}", headers=tenant.auth
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    missing = client.get(csv_io.base(mine) + "/imports/not-an-id", headers=tenant.auth)
    assert missing.status_code == 404
    assert csv_io.wait(theirs, their_job.json()["id"], owner=other)["imported"] == 1
