"""`waitline demo`: a waitlist filled through the domain code, whose counts, referral
credits and positions agree with what the API computes."""

import os
from collections import Counter

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from waitline.auth.service import create_api_key
from waitline.cli import app as cli
from waitline.db.models import Entry, User
from waitline.demo.generate import DAYS, fill_demo
from waitline.kit.crypto import SecretBox

SIGNUPS = 200


@pytest.fixture
def demo(app, clock, client):
    """The demo at a small size, and the API's view of its waitlist through a write key."""
    with app.state.db.transaction() as session:
        made = fill_demo(
            session,
            workspace_slug="demo",
            signups=SIGNUPS,
            links=app.state.links,
            box=SecretBox(app.state.settings.resolved_secret_key),
            now=clock.now(),
            seed=3,
        )
        _, key = create_api_key(
            session, workspace_id=made.workspace.id, name="t", scope="write", now=clock.now()
        )
    made.auth = {"Authorization": f"Bearer {key}"}
    made.path = f"/v1/workspaces/{made.workspace.id}/waitlists/{made.waitlist.id}"
    return made


def entries_of(app, waitlist_id: str) -> list[Entry]:
    with app.state.db.transaction(write=False) as session:
        return list(session.scalars(select(Entry).where(Entry.waitlist_id == waitlist_id)))


def test_the_counts_agree_with_the_api(demo, client):
    counts = client.get(demo.path + "/entries/count", headers=demo.auth).json()
    assert counts["total"] == demo.signups == SIGNUPS
    assert counts["verified"] == demo.verified
    assert counts["approved"] == demo.approved > 0
    assert counts["invited"] == demo.invited > 0
    assert counts["rejected"] == 2
    assert 0 < counts["unverified"] < SIGNUPS * 0.3


def test_signups_span_six_weeks_and_two_variants(app, demo, clock):
    entries = entries_of(app, demo.waitlist.id)
    first = min(e.created_at for e in entries)
    assert (clock.now() - first).days in (DAYS - 1, DAYS)
    assert len({e.created_at.date() for e in entries}) > DAYS * 0.8
    by_variant = Counter(e.variant_id for e in entries)
    assert len(by_variant) == 2 and min(by_variant.values()) > SIGNUPS * 0.3


def test_referral_counts_match_the_credited_referrals_and_chains_run_deep(app, demo):
    entries = {e.id: e for e in entries_of(app, demo.waitlist.id)}
    credited = Counter(e.referred_by_entry_id for e in entries.values() if e.referral_credited)
    assert demo.referred == sum(1 for e in entries.values() if e.referred_by_entry_id)
    assert demo.referred > SIGNUPS * 0.2
    for entry in entries.values():
        assert entry.referral_count == credited.get(entry.id, 0)
    assert max(credited.values()) >= 5  # a champion

    def depth(entry: Entry) -> int:
        return (
            0
            if entry.referred_by_entry_id is None
            else 1 + depth(entries[entry.referred_by_entry_id])
        )

    assert max(depth(e) for e in entries.values()) >= 3


def test_positions_run_from_one_without_gaps_in_line_order(demo, client):
    counts = client.get(demo.path + "/entries/count", headers=demo.auth).json()
    positions, cursor = [], None
    while True:
        params = {"sort": "position", "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(demo.path + "/entries", params=params, headers=demo.auth).json()
        positions += [e["position"] for e in page["data"] if e["position"] is not None]
        cursor = page["pagination"]["next_cursor"]
        if not cursor:
            break
    assert positions == list(range(1, counts["waiting"] + 1))


def test_only_the_newest_signups_are_mailed_and_only_at_reserved_domains(demo, client):
    messages = client.get(
        f"/v1/workspaces/{demo.workspace.id}/messages", params={"limit": 100}, headers=demo.auth
    ).json()["data"]
    joined = [m for m in messages if m["template"] in ("welcome", "verify")]
    assert len(joined) == 12  # and those they referred credited them ("referral_credited")
    assert {m["template"] for m in messages} <= {"welcome", "verify", "referral_credited"}
    reserved = (".example", "example.com", "example.org", "example.net")
    assert all(m["to_address"].endswith(reserved) for m in messages)


def test_an_owner_is_made_once_with_a_password(app, demo, clock):
    assert demo.owner_password
    with app.state.db.transaction() as session:
        again = fill_demo(
            session,
            workspace_slug="demo",
            signups=5,
            links=app.state.links,
            box=SecretBox(app.state.settings.resolved_secret_key),
            now=clock.now(),
        )
        owners = session.scalars(select(User).where(User.workspace_id == demo.workspace.id))
        assert [u.role for u in owners] == ["owner"]
    assert again.owner_password is None and again.waitlist.slug == "orbit-2"


def test_the_command_prints_how_to_sign_in(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("WAITLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("WAITLINE_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["demo", "--signups", "30", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "30 signups" in result.stdout
    assert "owner@demo.example with the password" in result.stdout
    again = CliRunner().invoke(cli, ["demo", "--signups", "3"])
    assert "demo/orbit-2" in again.stdout and "with the password" not in again.stdout
