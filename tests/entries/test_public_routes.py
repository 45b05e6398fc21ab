"""The routes a launch's traffic hits are served with as little framework work as they can."""

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from waitline.entries import routes

HOT = {
    ("POST", routes.PUBLIC + "/entries"),
    ("GET", routes.PUBLIC + "/status"),
    ("GET", routes.PUBLIC + "/leaderboard"),
}


def _solved(dependant: Dependant) -> int:
    """How many dependencies FastAPI solves for a request: each one, every time, even when
    another already asked for it (its answer is cached; the solving is not)."""
    return len(dependant.dependencies) + sum(_solved(sub) for sub in dependant.dependencies)


def test_hot_public_routes_read_the_request_in_one_dependency():
    found = {
        (method, route.path): route
        for route in routes.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert found.keys() >= HOT
    # The signup: its waitlist (limited, CORS allowed) and the visit, which that shares.
    assert _solved(found["POST", routes.PUBLIC + "/entries"].dependant) == 3
    assert _solved(found["GET", routes.PUBLIC + "/status"].dependant) == 1
    assert _solved(found["GET", routes.PUBLIC + "/leaderboard"].dependant) == 1
