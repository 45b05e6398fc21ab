"""HTTP routes for a waitlist's variants: other copy per language, or as an A/B test."""

from fastapi import APIRouter, Response

from waitline.auth.dependencies import ApiCredential, WriteCredential
from waitline.kit.dependencies import DbSession, Now
from waitline.kit.errors import problem_responses
from waitline.kit.pagination import Cursor, Limit, Page, page_of
from waitline.waitlists import variants
from waitline.waitlists.schemas import VariantCreate, VariantOut, VariantUpdate
from waitline.waitlists.service import waitlist_for
from waitline.workspaces.service import workspace_for

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/waitlists/{waitlist_id}/variants", tags=["variants"]
)


@router.get("", response_model=Page[VariantOut], responses=problem_responses(401, 404, 422, 429))
def list_variants(
    workspace_id: str,
    waitlist_id: str,
    credential: ApiCredential,
    session: DbSession,
    limit: Limit = 20,
    cursor: Cursor = None,
):
    """The waitlist's variants, newest first, inactive ones included."""
    waitlist = waitlist_for(session, workspace_for(session, credential, workspace_id), waitlist_id)
    found, next_cursor = variants.list_variants(session, waitlist, limit=limit, cursor=cursor)
    return page_of([variants.variant_out(v) for v in found], next_cursor)


@router.post(
    "",
    response_model=VariantOut,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def create_variant(
    workspace_id: str,
    waitlist_id: str,
    body: VariantCreate,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> VariantOut:
    """Create a variant. A locale variant needs a `locale`, and only one active variant may
    hold each locale (409 otherwise); unknown `copy` keys are dropped."""
    waitlist = waitlist_for(session, workspace_for(session, credential, workspace_id), waitlist_id)
    return variants.variant_out(variants.create_variant(session, waitlist, body, now=now))


@router.get("/{variant_id}", response_model=VariantOut, responses=problem_responses(401, 404, 429))
def get_variant(
    workspace_id: str,
    waitlist_id: str,
    variant_id: str,
    credential: ApiCredential,
    session: DbSession,
) -> VariantOut:
    waitlist = waitlist_for(session, workspace_for(session, credential, workspace_id), waitlist_id)
    return variants.variant_out(variants.variant_for(session, waitlist, variant_id))


@router.patch(
    "/{variant_id}",
    response_model=VariantOut,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def update_variant(
    workspace_id: str,
    waitlist_id: str,
    variant_id: str,
    body: VariantUpdate,
    credential: WriteCredential,
    session: DbSession,
    now: Now,
) -> VariantOut:
    """Change fields; `copy` merges by key (null clears a key), `kind` cannot change."""
    waitlist = waitlist_for(session, workspace_for(session, credential, workspace_id), waitlist_id)
    variant = variants.variant_for(session, waitlist, variant_id)
    variants.update_variant(session, waitlist, variant, body, now=now)
    return variants.variant_out(variant)


@router.delete("/{variant_id}", status_code=204, responses=problem_responses(401, 403, 404, 429))
def delete_variant(
    workspace_id: str,
    waitlist_id: str,
    variant_id: str,
    credential: WriteCredential,
    session: DbSession,
) -> Response:
    """Delete a variant and its impression counts; deactivating keeps them instead."""
    waitlist = waitlist_for(session, workspace_for(session, credential, workspace_id), waitlist_id)
    variants.delete_variant(session, variants.variant_for(session, waitlist, variant_id))
    return Response(status_code=204)
