"""Requests that hold locks can always finish, however many others wait on those locks."""

from concurrent.futures import ThreadPoolExecutor, wait


def test_many_concurrent_writes_to_one_row_all_finish(client, tenant, make_waitlist):
    waitlist = make_waitlist("launch")
    path = tenant.path(f"/waitlists/{waitlist['id']}")

    def rename(number: int) -> int:
        body = {"display_name": f"Launch {number}"}
        return client.patch(path, json=body, headers=tenant.auth).status_code

    # More writers than the app has threads for routes: if finishing a transaction needed
    # one of those threads, the lock holder could never commit and all would hang.
    with ThreadPoolExecutor(max_workers=24) as pool:
        futures = [pool.submit(rename, n) for n in range(24)]
        done, not_done = wait(futures, timeout=120)
    assert not not_done, "requests hung"
    assert sorted({f.result() for f in done}) == [200]


def test_unauthenticated_writes_in_a_crowd_are_refused_not_stuck(client, tenant):
    def create() -> int:
        body = {"slug": "x", "display_name": "X"}
        headers = {"Authorization": "Bearer wl_sk_bogus"}
        return client.post(tenant.path("/waitlists"), json=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        futures = [pool.submit(create) for _ in range(24)]
        done, not_done = wait(futures, timeout=120)
    assert not not_done, "requests hung"
    assert {f.result() for f in done} == {401}
