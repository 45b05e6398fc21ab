"""The status page /w/{ws}/{wl}/status?token= (spec §6): position, how many ahead, the
referral link with copy and share links, referral count and boost, the masked leaderboard."""

import re
from urllib.parse import quote

XSS = "<img src=x onerror=alert(1)>"


def test_it_shows_position_ahead_waiting_and_the_confirmation_message(
    client, open_waitlist, joined
):
    waitlist = open_waitlist(confirmation_message="Thanks for joining!")
    joined(waitlist, "ada@example.com")
    status, _ = joined(waitlist, "grace@example.com")

    html = client.get(status).text

    assert 'data-position="2"' in html
    assert "1 ahead of you · out of 2" in html
    assert "Thanks for joining!" in html


def test_hide_counts_hides_the_total(client, open_waitlist, joined):
    status, _ = joined(open_waitlist(hide_counts=True), "ada@example.com")

    html = client.get(status).text

    assert "0 ahead of you" in html and "out of" not in html


def test_the_referral_link_comes_with_plain_share_links_and_the_boost(
    client, open_waitlist, joined
):
    waitlist = open_waitlist(referral_boost=5, page={"share_message": "Join me!"})
    status, _ = joined(waitlist, "ada@example.com")

    html = client.get(status).text

    link = re.search(r'id="referral-link" type="text" readonly value="([^"]+)"', html).group(1)
    assert link.startswith("http://testserver/w/acme/launch?ref=")
    assert "moves you up 5 spot(s)" in html
    assert "Friends who joined: 0" in html
    encoded = quote(f"Join me! {link}", safe="")
    assert f"https://twitter.com/intent/tweet?text={encoded.replace('%20', '+')}" in html
    assert "https://www.linkedin.com/sharing/share-offsite/?url=" in html
    assert "https://wa.me/?text=" in html
    assert "mailto:?subject=Join%20me%21" in html
    # The copy button appears only when the script can make it work.
    assert re.search(
        r'<button type="button" class="primary" data-copy="referral-link"[^>]* hidden>', html
    )


def test_the_token_in_the_url_is_neither_cached_nor_sent_on(client, open_waitlist, joined):
    status, _ = joined(open_waitlist(), "ada@example.com")

    response = client.get(status)

    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="referrer" content="no-referrer">' in response.text


def test_a_double_opt_in_entry_is_asked_to_confirm_and_has_no_position_yet(
    client, open_waitlist, joined
):
    status, _ = joined(open_waitlist(double_opt_in=True), "ada@example.com")

    html = client.get(status).text

    assert "confirm your email" in html
    assert "data-position" not in html


def test_a_bad_token_is_a_404_page(client, path, open_waitlist, joined):
    waitlist = open_waitlist()
    other = open_waitlist("other")
    _, token_of_other = joined(other, "ada@example.com")

    for token in ("nonsense", token_of_other):
        response = client.get(path(waitlist, f"/status?token={token}"))
        assert response.status_code == 404
        assert "This link does not work" in response.text


def test_the_leaderboard_is_shown_masked_when_enabled(client, open_waitlist, joined, code_of):
    waitlist = open_waitlist(
        leaderboard={"enabled": True, "length": 5}, referral_same_ip_credit=True
    )
    ada_status, token = joined(waitlist, "ada@example.com", name="Ada Lovelace")
    joined(waitlist, "grace@example.com", referral_code=code_of(waitlist, token))

    html = client.get(ada_status).text

    board = html.split('id="leaders-title"')[1]
    assert "Ada L." in board and "a***@e***.com" in board
    assert "ada@example.com" not in board and "Lovelace" not in board


def test_a_name_with_markup_is_text_on_the_status_page_and_leaderboard(
    client, open_waitlist, joined, code_of
):
    waitlist = open_waitlist(leaderboard={"enabled": True}, referral_same_ip_credit=True)
    status, token = joined(waitlist, "ada@example.com", name=XSS)
    joined(waitlist, "grace@example.com", referral_code=code_of(waitlist, token))

    html = client.get(status).text

    assert "<img src=x" not in html and "<img o." not in html
    assert '<p class="greeting">&lt;img src=x onerror=alert(1)&gt;</p>' in html
    board = html.split('id="leaders-title"')[1]
    assert "&lt;img o." in board


def test_the_status_page_speaks_the_entrys_language_variant(client, tenant, open_waitlist, joined):
    waitlist = open_waitlist()
    client.post(
        tenant.path(f"/waitlists/{waitlist['id']}/variants"),
        json={"kind": "locale", "locale": "de", "copy": {"display_name": "Der Start"}},
        headers=tenant.auth,
    )
    status, _ = joined(waitlist, "ada@example.com")

    html = client.get(status, headers={"Accept-Language": "de-DE"}).text

    assert '<html lang="de">' in html and "<h1>Der Start</h1>" in html
    assert "Dein Platz in der Schlange" in html
