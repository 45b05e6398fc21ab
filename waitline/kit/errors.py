"""One error family, answered as RFC 9457 problem documents."""

import copy
import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from waitline.db.engine import is_lock_conflict

log = logging.getLogger("waitline.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class WaitlineError(Exception):
    """An answer the client is meant to get: a status, a stable code and a detail."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status or self.status
        self.code = code or self.code
        self.errors = errors
        self.headers = headers or {}


class NotFound(WaitlineError):
    status, code = 404, "not_found"


class Unauthorized(WaitlineError):
    status, code = 401, "unauthorized"


class Forbidden(WaitlineError):
    status, code = 403, "forbidden"


class Conflict(WaitlineError):
    status, code = 409, "conflict"


class ValidationFailed(WaitlineError):
    status, code = 422, "validation_error"

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None, **kw: Any):
        super().__init__(detail or _summarise(errors), errors=errors, **kw)


def field_error(field: str, message: str, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed({field: [message]}, code=code)


def _summarise(errors: dict[str, list[str]]) -> str:
    field, messages = next(iter(errors.items()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{field}: {messages[0]}{more}"


class Problem(BaseModel):
    """RFC 9457 problem document, as every error is answered."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: dict[str, list[str]] | None = None
    request_id: str | None = None


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:waitline:error:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    request_id = getattr(request.state, "request_id", None) if request else None
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problem documents a route may answer."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in statuses
    }


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers below answer: every 4xx and 5xx is
    a problem document. FastAPI would advertise its own 422 schema for routes that do not
    list 422, and file each declared problem under application/json."""
    build = app.openapi
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for item in document.get("paths", {}).values():
            for operation in item.values():
                for status, response in operation.get("responses", {}).items():
                    if str(status)[0] in "45":
                        response["content"] = copy.deepcopy(problem)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("Problem", Problem.model_json_schema())
        for unused in ("HTTPValidationError", "ValidationError"):  # the first uses the second
            if f'"#/components/schemas/{unused}"' not in json.dumps(document):
                schemas.pop(unused, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or (str(loc[0]) if loc else "body")


def validation_errors(raw: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Turn pydantic's error list into `{field: [messages]}`."""
    errors: dict[str, list[str]] = {}
    for error in raw:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            field, message = (
                "body",
                f"Malformed JSON: {error.get('ctx', {}).get('error', 'invalid')}",
            )
        else:
            field = _location(loc) if loc else "body"
            message = error.get("msg", "Invalid value").removeprefix("Value error, ")
        errors.setdefault(field, []).append(message)
    return errors


def refused_nul(exc: DataError) -> bool:
    """Whether PostgreSQL (or psycopg, before sending) refused a NUL character: in text
    psycopg says so itself; in JSONB the server answers 22P05 (untranslatable character)."""
    orig = exc.orig
    return "NUL" in str(orig) or getattr(orig, "sqlstate", None) == "22P05"


def install_error_handlers(app: FastAPI) -> None:
    _document_problems(app)

    @app.exception_handler(WaitlineError)
    async def _waitline_error(request: Request, exc: WaitlineError) -> JSONResponse:
        return problem_response(request, exc.status, exc.code, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(list(exc.errors()))
        return problem_response(request, 422, "validation_error", _summarise(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        )
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(request, exc.status_code, code, detail, headers=exc.headers)

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> JSONResponse:
        # A lock wait that ran out (PostgreSQL lock_timeout, SQLite busy), or a deadlock
        # PostgreSQL ended, is load, not a bug.
        if is_lock_conflict(exc) or "database is locked" in str(exc.orig):
            return problem_response(
                request,
                503,
                "busy",
                "The service is busy; try again in a moment.",
                headers={"Retry-After": "1"},
            )
        raise exc  # anything else is a bug: the catch-all below answers and logs it

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # Request models refuse NUL characters (kit.fields); a route whose input skips
        # them still answers 422, not 500, when PostgreSQL refuses the text.
        if not refused_nul(exc):
            raise exc  # anything else is a bug: the catch-all below answers and logs it
        detail = "Text must not contain NUL characters (\\u0000)."
        return problem_response(request, 422, "validation_error", detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "-")
        log.exception(
            "unhandled error on %s %s [request %s]", request.method, request.url.path, request_id
        )
        # This answer is sent by Starlette's outermost ServerErrorMiddleware, past every
        # middleware of ours, so RequestIdMiddleware cannot add the header: do it here.
        return problem_response(
            request,
            500,
            "internal_error",
            f"An unexpected error occurred (request {request_id}).",
            headers={"X-Request-ID": request_id},
        )
