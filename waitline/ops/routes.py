"""`/healthz`, `/readyz` and `/metrics`."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from waitline.db.migrate import is_current
from waitline.kit.errors import problem_response, problem_responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="200 while the process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="200 when the database is reachable and migrated",
    response_model=dict[str, str],
    responses=problem_responses(503),
)
def readyz(request: Request):
    try:
        ready = is_current(request.app.state.db.engine)
    except SQLAlchemyError:
        return problem_response(request, 503, "not_ready", "The database cannot be reached.")
    if not ready:
        return problem_response(
            request, 503, "not_ready", "The database is not migrated to the newest schema."
        )
    return {"status": "ready"}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}
    },
)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
