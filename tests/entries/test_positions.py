"""Positions against a naive recomputation from the contract's definition (spec §1, the line),
through signups, state changes and changes of the rules (boost, double opt-in)."""

import uuid
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from waitline.db.group_commit import run_batch
from waitline.db.models import Waitlist, Workspace
from waitline.entries import line, repository, service
from waitline.entries.checks import check_join
from waitline.entries.schemas import JoinRequest
from waitline.kit.crypto import keyed_hash
from waitline.waitlists.service import settings_view

# Joins are drawn more often than anything else, so that lines grow and referrals chain.
KINDS = ["join"] * 5 + ["confirm", "reject", "approve", "invite", "unsubscribe", "delete"]
RULES = ["boost", "opt_in"]
# (kind, target, referrer, how many join together: a batch of signups is one write).
ops = st.lists(
    st.tuples(
        st.sampled_from(KINDS + RULES),
        st.integers(0, 30),
        st.integers(-1, 30),
        st.integers(1, 3),
    ),
    min_size=5,
    max_size=40,
)


@dataclass
class Person:
    """What the definition needs to know about one entry, kept apart from the database."""

    id: str
    seq: int
    ip: int
    referred_by: str | None
    status: str = "pending"
    verified: bool = False
    invited: bool = False
    unsubscribed: bool = False
    credited: bool = False
    log: list = field(default_factory=list)

    def waiting(self, double_opt_in: bool) -> bool:
        return (
            self.status != "rejected"
            and not self.invited
            and not self.unsubscribed
            and (self.verified or not double_opt_in)
        )


def credited_referrals(people: dict[str, Person]) -> dict[str, int]:
    counts = {pid: 0 for pid in people}
    for person in people.values():
        if person.credited and person.referred_by in counts:
            counts[person.referred_by] += 1
    return counts


def expected_positions(
    people: dict[str, Person], boost: int, double_opt_in: bool
) -> dict[str, int | None]:
    counts = credited_referrals(people)
    key = {pid: (p.seq - boost * counts[pid], p.seq) for pid, p in people.items()}
    waiting = [pid for pid, p in people.items() if p.waiting(double_opt_in)]
    return {
        pid: (1 + sum(1 for other in waiting if key[other] < key[pid]) if pid in waiting else None)
        for pid in people
    }


def settle_credit(
    person: Person,
    people: dict[str, Person],
    boost: int,
    double_opt_in: bool,
    same_ip_ok: bool,
    *,
    was_waiting: bool,
) -> None:
    """The definition of credit: given when a referred entry starts waiting while referrals
    are on (boost > 0), taken on rejection."""
    if person.referred_by is None or person.referred_by not in people:
        return
    starts_waiting = person.waiting(double_opt_in) and not was_waiting
    if person.status == "rejected":
        person.credited = False
    elif starts_waiting and not person.credited and boost > 0:
        same_ip = people[person.referred_by].ip == person.ip
        person.credited = same_ip_ok or not same_ip


def settle_opt_in_change(
    people: dict[str, Person], boost: int, double_opt_in: bool, same_ip_ok: bool
) -> None:
    """Double opt-in turned on: unconfirmed entries give no credit. Turned off: unconfirmed
    entries start waiting, and credit their referrers as a signup would."""
    for person in people.values():
        if double_opt_in and not person.verified:
            person.credited = False
        elif not double_opt_in and not person.verified:
            settle_credit(person, people, boost, double_opt_in, same_ip_ok, was_waiting=False)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=ops,
    boost=st.integers(0, 3),
    double_opt_in=st.booleans(),
    same_ip_ok=st.booleans(),
)
def test_every_position_matches_the_definition_after_any_sequence_of_changes(
    app, client, clock, tenant, monkeypatch, operations, boost, double_opt_in, same_ip_ok
):
    # Tiny buckets (two scores) and blocks (four), so that even short lines span many of
    # them, negative scores included.
    monkeypatch.setattr(line, "BUCKET_WIDTH", 2)
    db, links = app.state.db, app.state.links
    with db.transaction() as session:
        workspace = session.get(Workspace, tenant.id)
        waitlist = Waitlist(
            id=service.new_id(),
            workspace_id=workspace.id,
            slug=f"w{uuid.uuid4().hex[:12]}",
            display_name="Line",
            status="open",
            last_seq=0,
            entry_count=0,
            settings={
                "referral_boost": boost,
                "double_opt_in": double_opt_in,
                "referral_same_ip_credit": same_ip_ok,
                "block_disposable_emails": False,
            },
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(waitlist)
    people: dict[str, Person] = {}
    order: list[str] = []
    emails_of: dict[str, str] = {}

    def change_rules(**settings) -> None:
        response = client.patch(
            tenant.path(f"/waitlists/{waitlist.id}"),
            json={"settings": settings},
            headers=tenant.auth,
        )
        assert response.status_code == 200, response.text

    for number, op in enumerate(operations):
        if op[0] == "boost":
            boost = op[1] % 4
            change_rules(referral_boost=boost)
            continue
        if op[0] == "opt_in":
            double_opt_in = not double_opt_in
            change_rules(double_opt_in=double_opt_in)
            settle_opt_in_change(people, boost, double_opt_in, same_ip_ok)
            continue
        with db.transaction() as session:
            ctx = service.WaitlistContext.of(
                session.get(Workspace, tenant.id),
                session.get(Waitlist, waitlist.id),
                links,
                clock.now(),
            )
            kind, target, referrer_index, together = op
            if kind == "join":
                known = 0 <= referrer_index < len(order) and order[referrer_index] in people
                referrer = order[referrer_index] if known else None
                code = (
                    repository.by_id(session, waitlist.id, referrer).referral_code
                    if referrer
                    else None
                )
                emails = [f"p{number}-{i}@example.com" for i in range(together)]
                # Now and then one already on the list joins along: the batch is refused,
                # and written again each in a savepoint, the one refused rolled back.
                present = [emails_of[pid] for pid in order if pid in people]
                again = present[:1] if target % 4 == 0 else []
                signups = [
                    service.Signup(
                        ctx,
                        check_join(ctx.settings, JoinRequest(email=email, referral_code=code)),
                        # one of two client IPs, so same-IP referrals happen
                        keyed_hash("k", str((target + i) % 2)),
                        country=None,
                    )
                    for i, email in enumerate(emails + again)
                ]
                outcomes = run_batch(session, service.join_all, signups, inline=False)
                assert [ok for ok, _ in outcomes] == [True] * together + [False] * len(again)
                joined = [result for _, result in outcomes[:together]]
                for i, (entry, _) in enumerate(joined):
                    person = Person(entry.id, entry.seq, (target + i) % 2, referrer)
                    people[entry.id] = person
                    order.append(entry.id)
                    emails_of[entry.id] = entry.email
                    settle_credit(
                        person, people, boost, double_opt_in, same_ip_ok, was_waiting=False
                    )
                # The position each signup is told is the definition's too.
                expected = expected_positions(people, boost, double_opt_in)
                assert [position for _, position in joined] == [
                    expected[entry.id] for entry, _ in joined
                ]
                continue
            if not order:
                continue
            pid = order[target % len(order)]
            if pid not in people:
                continue
            person, entry = people[pid], repository.by_id(session, waitlist.id, pid)
            was_waiting = person.waiting(double_opt_in)
            if kind == "confirm":
                service.confirm(
                    session, links.confirm_token(pid, waitlist.id, clock.now()), links, clock.now()
                )
                person.verified = True
            elif kind in ("reject", "approve"):
                service.set_status(
                    session, ctx, entry, "rejected" if kind == "reject" else "approved"
                )
                person.status = entry.status
            elif kind == "invite" and not person.invited:
                service.mark_invited(session, ctx, entry, app_slug=None, code=f"c{number}-{pid}")
                person.invited = True
            elif kind == "unsubscribe":
                service.unsubscribe(
                    session,
                    links.unsubscribe_token(pid, waitlist.id, clock.now()),
                    links,
                    clock.now(),
                )
                person.unsubscribed = True
            elif kind == "delete":
                service.delete_entry(session, ctx, entry)
                del people[pid]
                for other in people.values():
                    if other.referred_by == pid:
                        other.referred_by, other.credited = None, False
                continue
            settle_credit(person, people, boost, double_opt_in, same_ip_ok, was_waiting=was_waiting)

    expected = expected_positions(people, boost, double_opt_in)
    with db.transaction(write=False) as session:
        ctx_settings = settings_view(session.get(Waitlist, waitlist.id).settings)
        assert ctx_settings.referral_boost == boost
        actual, counts = {}, {}
        for pid in people:
            entry = repository.by_id(session, waitlist.id, pid)
            actual[pid] = service.position_of_entry(session, entry)
            counts[pid] = entry.referral_count
            standing = line.entry_standing(db, waitlist.id, pid)
            assert (standing.id, standing.position, standing.waiting_count) == (
                pid,
                actual[pid],
                line.waiting_count(session, waitlist.id),
            )
        waiting_total = line.waiting_count(session, waitlist.id)
        in_bulk = line.positions_of_entries(session, waitlist.id, list(people))
    assert actual == expected
    assert in_bulk == {pid: p for pid, p in expected.items() if p is not None}
    assert counts == credited_referrals(people)
    assert waiting_total == sum(1 for p in expected.values() if p is not None)


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_the_line_statements_divide_scores_as_integers(dialect):
    """A score divided as a number of another kind (FLOOR, a float on PostgreSQL) would be
    compared with the bigint bucket columns as a float, and no index would bound the sums
    or the walk: each lookup would read the whole line ahead."""
    for statement in (
        line._position_statement(line.BUCKET_WIDTH),
        line._entry_standing_statement(line.BUCKET_WIDTH),
        line.WAITING_COUNT,
    ):
        assert "FLOOR" not in str(statement.compile(dialect=dialect)).upper()
