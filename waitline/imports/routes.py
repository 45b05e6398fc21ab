"""Admin HTTP routes for moving entries in and out as CSV.

Include this router BEFORE `entries.admin_routes`: its `GET .../entries/{entry_id}` would
otherwise answer `.../entries/export.csv` (routes are matched in order).
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from waitline.auth.dependencies import WriteCredential
from waitline.entries.admin_routes import Context, Filters, Sort
from waitline.imports import jobs, service
from waitline.imports.schemas import ImportJobOut
from waitline.kit.dependencies import Db, DbSession
from waitline.kit.errors import problem_responses

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/waitlists/{waitlist_id}", tags=["import and export"]
)
READ_ERRORS = problem_responses(401, 404, 422, 429)
UPLOAD_ERRORS = problem_responses(401, 403, 404, 413, 422, 429)


async def jobs_to_start(request: Request) -> AsyncIterator[list[str]]:
    """Import jobs to start once this request is over. A request-scoped dependency exits
    after the response is sent, so after the route's (function-scoped) session committed
    the job row: the job thread always finds it."""
    queued: list[str] = []
    yield queued
    state = request.app.state
    for job_id in queued:
        jobs.start_import(state.db, job_id, links=state.links, clock=state.clock)


JobsToStart = Annotated[list[str], Depends(jobs_to_start)]


@router.get(
    "/entries/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The entries as CSV, streamed."},
        **READ_ERRORS,
    },
    summary="Export entries as CSV: the list's filters and sorts, custom fields as columns",
)
def export_entries(ctx: Context, chosen: Filters, db: Db, sort: Sort = "position"):
    """Every matching entry, one row each, streamed in batches. Cells a spreadsheet would
    run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a `'` in front."""
    return StreamingResponse(
        service.export_csv(db, ctx, chosen, sort),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{service.export_filename(ctx)}"'},
    )


@router.post(
    "/imports",
    status_code=202,
    response_model=ImportJobOut,
    responses=UPLOAD_ERRORS,
    summary="Import a CSV file of people, as a job",
)
def create_import(
    ctx: Context,
    credential: WriteCredential,
    session: DbSession,
    file: UploadFile,
    to_start: JobsToStart,
    response: Response,
    send_email: Annotated[
        bool, Form(description="Send each imported person the email a signup gets.")
    ] = False,
) -> ImportJobOut:
    """The CSV goes in the multipart part `file` (UTF-8, at most 50 MiB); an `email`
    column is required. The job runs after this answer; follow it at `Location`."""
    job = service.create_job(
        session, ctx, content=file.file.read(), filename=file.filename, send_email=send_email
    )
    to_start.append(job.id)
    response.headers["Location"] = (
        f"/v1/workspaces/{ctx.workspace.id}/waitlists/{ctx.waitlist.id}/imports/{job.id}"
    )
    return service.job_out(job)


@router.get("/imports/{import_id}", response_model=ImportJobOut, responses=READ_ERRORS)
def get_import(import_id: str, ctx: Context, session: DbSession) -> ImportJobOut:
    """How far the import got, and what it could not import, by row."""
    return service.job_out(service.job_for(session, ctx, import_id))
