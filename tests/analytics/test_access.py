"""Who may read analytics: any credential of the workspace, `read` ones included; to
anyone else the workspace and its waitlists do not exist."""

import uuid

import pytest

PATHS = ["/analytics", "/analytics/timeline"]


@pytest.fixture
def other(make_tenant):
    return make_tenant("globex")


@pytest.mark.parametrize("rest", PATHS)
def test_a_read_credential_may_read_analytics(client, tenant, open_waitlist, join, rest):
    waitlist = open_waitlist()
    join(waitlist, "someone@example.com")
    response = client.get(
        tenant.path(f"/waitlists/{waitlist['id']}{rest}"), headers=tenant.read_auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    signups = body["totals"]["signups"] if rest == "/analytics" else body["data"][-1]["signups"]
    assert signups == 1


@pytest.mark.parametrize("rest", PATHS)
def test_another_workspaces_credential_gets_404_for_this_workspace(
    client, tenant, other, open_waitlist, problem, rest
):
    waitlist = open_waitlist()
    path = tenant.path(f"/waitlists/{waitlist['id']}{rest}")
    # Before its query is looked at: a bad window must not tell that the waitlist exists.
    for params in ({}, {"since": "nonsense"}):
        response = client.get(path, params=params, headers=other.auth)
        problem(response, 404, "not_found")


@pytest.mark.parametrize("rest", PATHS)
@pytest.mark.parametrize("waitlist_id", ["theirs", str(uuid.UUID(int=42)), "not-a-uuid"])
def test_a_waitlist_not_of_this_workspace_is_waitlist_not_found(
    client, tenant, other, make_waitlist, problem, rest, waitlist_id
):
    theirs = make_waitlist("theirs", owner=other)
    waitlist_id = theirs["id"] if waitlist_id == "theirs" else waitlist_id
    response = client.get(tenant.path(f"/waitlists/{waitlist_id}{rest}"), headers=tenant.auth)
    problem(response, 404, "waitlist_not_found")


@pytest.mark.parametrize("rest", PATHS)
def test_without_a_credential_analytics_are_401(client, tenant, open_waitlist, problem, rest):
    waitlist = open_waitlist()
    problem(client.get(tenant.path(f"/waitlists/{waitlist['id']}{rest}")), 401, "unauthorized")
