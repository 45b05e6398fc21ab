"""GET /widget.js (spec §6): a plain, cacheable script, small, with no HTML from data."""

import re
from pathlib import Path

import waitline.widget

SOURCE = Path(waitline.widget.__file__).parent / "widget.js"
MAX_BYTES = 15 * 1024


def test_it_is_served_as_javascript_with_cache_headers_and_an_etag(client):
    response = client.get("/widget.js")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.content == SOURCE.read_bytes()

    again = client.get("/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_it_is_under_15_kb(client):
    assert len(client.get("/widget.js").content) < MAX_BYTES


def test_it_never_writes_html_and_loads_nothing_else():
    source = SOURCE.read_text()

    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)
    assert "import(" not in source and "http://" not in source.replace(
        "https://waitline.example", ""
    )
