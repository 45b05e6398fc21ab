"""The Embed page of a waitlist: the widget's <script> tag and the hosted page's link, each
ready to copy."""

from fastapi import APIRouter, Request, Response

from waitline.console.dependencies import ConsoleRoute, ConsoleUserDep
from waitline.console.render import render
from waitline.kit.dependencies import AppSettings, DbSession
from waitline.waitlists.service import settings_view, waitlist_for

router = APIRouter(prefix="/console", route_class=ConsoleRoute)


@router.get("/waitlists/{waitlist_id}/embed")
def embed_page(
    request: Request,
    waitlist_id: str,
    user: ConsoleUserDep,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    waitlist = waitlist_for(session, user.workspace, waitlist_id)
    base, handle = settings.base_url, f"{user.workspace.slug}/{waitlist.slug}"
    return render(
        request,
        "embed.html",
        user,
        waitlist=waitlist,
        # Built as text and escaped by the template: the slugs are safe, but nothing is |safe.
        snippet=f'<script src="{base}/widget.js" data-waitlist="{handle}"></script>',
        hosted_url=f"{base}/w/{handle}",
        allowed_origins=settings_view(waitlist.settings).allowed_origins,
    )
