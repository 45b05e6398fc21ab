"""GET /widget.js: the signup widget, a plain script any site can embed.

It is the same file for everyone, so it is read once, served with an ETag, and may be
cached by browsers and proxies for an hour; a new release changes the ETag."""

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request, Response

router = APIRouter(include_in_schema=False)
SCRIPT = (Path(__file__).parent / "widget.js").read_bytes()
ETAG = '"' + hashlib.sha256(SCRIPT).hexdigest()[:32] + '"'
HEADERS = {
    "Cache-Control": "public, max-age=3600",
    "ETag": ETAG,
    # Embedded by other origins: let them load it even under a strict CORP/COEP policy.
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Access-Control-Allow-Origin": "*",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/widget.js")
async def widget_script(request: Request) -> Response:
    if ETAG in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=HEADERS)
    return Response(SCRIPT, media_type="text/javascript; charset=utf-8", headers=HEADERS)
