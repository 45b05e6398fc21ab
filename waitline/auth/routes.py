"""HTTP routes: the token exchange, `/v1/me` and API keys."""

import base64
import binascii
from typing import Annotated
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from waitline.auth import repository, service
from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    MeOut,
    TokenOut,
    TokenRequest,
)
from waitline.kit.dependencies import AppSettings, DbSession, Now
from waitline.kit.errors import NotFound, ValidationFailed, problem_responses, validation_errors
from waitline.kit.pagination import Cursor, Limit, Page, page_of
from waitline.workspaces.repository import by_id as workspace_by_id
from waitline.workspaces.service import workspace_for

router = APIRouter(tags=["credentials"])

TOKEN_BODY_DOC = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": TokenRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": TokenRequest.model_json_schema()},
        },
    }
}


async def read_token_request(request: Request) -> TokenRequest:
    """The grant from a JSON or form body, with the client pair possibly in HTTP Basic."""
    raw = await request.body()
    fields: dict[str, str] = {}
    if raw:
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise ValidationFailed({"body": [f"Malformed JSON: {exc}"]}) from None
            if not isinstance(parsed, dict):
                raise ValidationFailed({"body": ["Must be a JSON object."]})
            fields = parsed
        else:
            fields = dict(parse_qsl(raw.decode("utf-8", "replace")))
    fields.update(_basic_client_pair(request.headers.get("authorization")))
    try:
        return TokenRequest.model_validate(fields)
    except ValidationError as exc:
        raise ValidationFailed(validation_errors(exc.errors())) from None


def _basic_client_pair(authorization: str | None) -> dict[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return {}
    try:
        client_id, _, client_secret = (
            base64.b64decode(encoded, validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        raise ValidationFailed({"authorization": ["Malformed HTTP Basic credentials."]}) from None
    return {"client_id": client_id, "client_secret": client_secret}


@router.post(
    "/v1/auth/token",
    response_model=TokenOut,
    responses=problem_responses(401, 422),
    openapi_extra=TOKEN_BODY_DOC,
    summary="Exchange an API key for a one-hour access token (OAuth2 client credentials)",
)
def issue_token(
    grant: Annotated[TokenRequest, Depends(read_token_request)],
    session: DbSession,
    settings: AppSettings,
    now: Now,
    response: Response,
) -> TokenOut:
    token, key = service.exchange_client_credentials(
        session,
        client_id=grant.client_id,
        client_secret=grant.client_secret,
        secret_key=settings.resolved_secret_key,
        now=now,
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(
        access_token=token, expires_in=settings.access_token_ttl_seconds, scope=key.scope
    )


@router.get("/v1/me", response_model=MeOut, responses=problem_responses(401, 429))
def who_am_i(credential: ApiCredential, session: DbSession) -> MeOut:
    key = repository.key_by_id(session, credential.key_id)
    workspace = workspace_by_id(session, credential.workspace_id)
    return MeOut(
        workspace_id=workspace.id,
        workspace_slug=workspace.slug,
        api_key_id=key.id,
        api_key_name=key.name,
        scope=credential.scope,
    )


@router.get(
    "/v1/workspaces/{workspace_id}/api-keys",
    response_model=Page[ApiKeyOut],
    responses=problem_responses(401, 404, 422, 429),
)
def list_api_keys(
    workspace_id: str,
    credential: ApiCredential,
    session: DbSession,
    limit: Limit = 20,
    cursor: Cursor = None,
):
    """The workspace's keys, oldest first; the keys themselves are never shown again."""
    workspace = workspace_for(session, credential, workspace_id)
    keys, next_cursor = service.list_api_keys(session, workspace.id, limit=limit, cursor=cursor)
    return page_of(
        [ApiKeyOut.model_validate(key, from_attributes=True) for key in keys], next_cursor
    )


@router.post(
    "/v1/workspaces/{workspace_id}/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def create_api_key(
    workspace_id: str, body: ApiKeyCreate, credential: WriteCredential, session: DbSession, now: Now
) -> ApiKeyCreated:
    workspace = workspace_for(session, credential, workspace_id)
    key, plaintext = service.create_api_key(
        session, workspace_id=workspace.id, name=body.name, scope=body.scope, now=now
    )
    return ApiKeyCreated(
        id=key.id,
        name=key.name,
        scope=key.scope,
        prefix=key.prefix,
        created_at=key.created_at,
        key=plaintext,
    )


@router.delete(
    "/v1/workspaces/{workspace_id}/api-keys/{key_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 429),
)
def delete_api_key(
    workspace_id: str, key_id: str, credential: WriteCredential, session: DbSession
) -> Response:
    workspace = workspace_for(session, credential, workspace_id)
    if not repository.delete_key(session, workspace.id, key_id):
        raise NotFound("No API key with this id.")
    return Response(status_code=204)
