"""`waitline import FILE --waitlist WS/WL [--send-email]` and
`waitline export --waitlist WS/WL [-o FILE]`: the same jobs and files as the API."""

import csv
import io
import os

import pytest
from typer.testing import CliRunner

from waitline.cli import app as cli


@pytest.fixture
def run(monkeypatch, tmp_path, database_url):
    """Run the CLI in-process on the test database, from an empty folder."""
    for name in list(os.environ):
        if name.startswith("WAITLINE_") and not name.startswith("WAITLINE_TEST_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # no stray .env is read
    monkeypatch.setenv("WAITLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAITLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("WAITLINE_SECRET_KEY", "cli-test-secret")

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args))

    return invoke


def test_import_then_export_a_file(run, open_waitlist, csv_io, stored, tmp_path):
    waitlist = open_waitlist(custom_fields=[{"key": "company", "label": "Company"}])
    source = tmp_path / "people.csv"
    source.write_bytes(
        csv_io.file(
            [
                ["email", "name", "created_at", "company", "shoe_size"],
                ["ann@example.com", "Ann, A.", "2025-01-02", "=Acme", "38"],
                ["bob@example.com", "Bob 🎉", "2025-01-01", "", "44"],
                ["bad-address", "Nobody", "", "", ""],
            ],
            bom=True,
        )
    )

    imported = run("import", str(source), "--waitlist", "acme/launch")

    assert imported.exit_code == 0, imported.output
    assert "Imported 2 of 3 rows; skipped 1." in imported.stdout
    assert "Ignored columns: shoe_size" in imported.stdout
    assert "  row 3: email: Not a valid email address" in imported.stdout
    people = stored.by_email(waitlist["id"])
    assert set(people) == {"ann@example.com", "bob@example.com"}
    assert people["ann@example.com"].metadata_ == {"company": "=Acme"}
    assert stored.messages() == []  # no --send-email

    target = tmp_path / "out.csv"
    exported = run("export", "--waitlist", "acme/launch", "-o", str(target))

    assert exported.exit_code == 0, exported.output
    assert f"Wrote 2 entries to {target}." in exported.stdout
    with target.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["email"], r["name"], r["position"], r["company"]) for r in rows] == [
        ("bob@example.com", "Bob 🎉", "1", ""),
        ("ann@example.com", "Ann, A.", "2", "'=Acme"),
    ]
    assert rows[0]["source"] == "import"


def test_export_to_stdout_leaves_stdout_to_the_csv(run, open_waitlist, join):
    waitlist = open_waitlist()
    join(waitlist, "ann@example.com", name="Ann")

    result = run("export", "--waitlist", "acme/launch")

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["email"] for row in rows] == ["ann@example.com"]


def test_send_email_sends_what_a_signup_gets(run, open_waitlist, stored, tmp_path, csv_io):
    waitlist = open_waitlist()
    source = tmp_path / "people.csv"
    source.write_bytes(csv_io.file([["email"], ["ann@example.com"]]))

    result = run("import", str(source), "--waitlist", "acme/launch", "--send-email")

    assert result.exit_code == 0, result.output
    assert [(m.template, m.to_address) for m in stored.messages()] == [
        ("welcome", "ann@example.com")
    ]
    assert stored.entries(waitlist["id"])[0].source == "import"


def test_an_unknown_waitlist_or_unreadable_file_is_an_error(run, open_waitlist, tmp_path):
    open_waitlist()
    source = tmp_path / "people.csv"
    source.write_bytes(b"email\r\nann@example.com\r\n")
    unknown = run("import", str(source), "--waitlist", "acme/nope")
    assert unknown.exit_code == 1
    assert "No waitlist 'acme/nope'" in unknown.stderr
    assert run("export", "--waitlist", "nope").exit_code == 1
    assert run("import", str(tmp_path / "missing.csv"), "--waitlist", "acme/launch").exit_code == 2
    source.write_bytes(b"name\r\nAnn\r\n")
    unreadable = run("import", str(source), "--waitlist", "acme/launch")
    assert unreadable.exit_code == 1
    assert "The file needs an `email` column." in unreadable.stderr
