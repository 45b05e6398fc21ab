"""The OpenAPI document describes every route the app serves, its answers and its problems."""

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from waitline.auth.dependencies import get_credential

PROBLEM_REF = "#/components/schemas/Problem"
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def api_routes(app) -> list[APIRoute]:
    # A router included with include_in_schema=False (the console) hides all its routes.
    found = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.include_in_schema
    ]
    assert len(found) > 10, "no routes found: is the app being walked correctly?"
    return found


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _calls(dependant: Dependant):
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def needs_credentials(route: APIRoute) -> bool:
    return get_credential in set(_calls(route.dependant))


def test_every_route_is_in_the_document(app, document):
    served = {(route.path, method.lower()) for route in api_routes(app) for method in route.methods}
    documented = {(path, method) for path, method, _ in operations(document)}
    assert served == documented


def test_every_operation_documents_a_success_answer_with_its_body(document):
    for path, method, operation in operations(document):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, f"{method.upper()} {path} documents no success answer"
        for status, response in successes.items():
            if status == "204":
                assert not response.get("content"), f"{method.upper()} {path}: 204 with a body"
                continue
            content = response.get("content")
            assert content, f"{method.upper()} {path} {status} documents no body"
            for media_type, body in content.items():
                if media_type == "application/json":
                    assert body.get("schema"), f"{method.upper()} {path} {status} has no schema"


def test_every_error_answer_is_documented_as_a_problem(document):
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            where = f"{method.upper()} {path} {status}"
            content = response.get("content", {})
            assert "application/problem+json" in content, f"{where} is not a problem document"
            for media_type, body in content.items():
                assert body["schema"] == {"$ref": PROBLEM_REF}, f"{where} {media_type}"


def test_routes_document_the_problems_they_can_answer(app, document):
    for route in api_routes(app):
        for method in route.methods:
            operation = document["paths"][route.path][method.lower()]
            statuses = set(operation["responses"])
            where = f"{method} {route.path}"
            if needs_credentials(route):
                assert {"401", "429"} <= statuses, f"{where} takes credentials"
                if method != "GET":
                    assert "403" in statuses, f"{where} changes data: read keys get 403"
            if "{" in route.path:
                assert "404" in statuses, f"{where} names a resource"
            has_input = route.body_field is not None or route.dependant.query_params
            if has_input:
                assert "422" in statuses, f"{where} takes input"


def test_the_problem_schema_has_the_contract_fields(document):
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"type", "title", "status", "detail", "code"}
    assert set(problem["properties"]) >= {"type", "title", "status", "detail", "code", "errors"}


def test_the_default_validation_error_schema_is_not_advertised(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


def test_the_document_says_what_waitline_is(document):
    assert document["info"]["title"] == "Waitline"
    assert "problem" in document["info"]["description"].lower()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_answer_html(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


def test_admin_routes_declare_bearer_auth(client):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/me"]["get"]["security"] == [{"HTTPBearer": []}]
    public_join = spec["paths"]["/v1/waitlists/{workspace_slug}/{waitlist_slug}/entries"]["post"]
    assert "security" not in public_join
