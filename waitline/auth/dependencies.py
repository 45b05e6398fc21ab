"""The credential a route runs under, as `Annotated` aliases."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from waitline.auth.service import Credential, identify, require_write
from waitline.kit.dependencies import AppSettings, DbSession, Now

# Documents bearer auth in OpenAPI; the header itself is checked by `identify`, which
# also explains what is wrong with a malformed one.
bearer = HTTPBearer(
    auto_error=False, description="An API key (wl_sk_...) or access token (wl_at_...)."
)


def get_credential(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Credential:
    credential = identify(
        session,
        request.headers.get("authorization"),
        secret_key=settings.resolved_secret_key,
        now=now,
    )
    request.app.state.limiter.enforce(
        request.state, "admin", settings.rate_limit_admin, credential.key_id
    )
    return credential


ApiCredential = Annotated[Credential, Depends(get_credential, scope="function")]


def get_write_credential(credential: ApiCredential) -> Credential:
    require_write(credential)
    return credential


WriteCredential = Annotated[Credential, Depends(get_write_credential, scope="function")]
