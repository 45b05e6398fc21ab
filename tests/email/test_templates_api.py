"""Email templates through the API (spec §3): built-ins and a workspace's own, saved only
once they render in the sandbox, previewed with sample data, guarded against deletion while
a setting names them; read credentials read, other workspaces see nothing."""

import pytest

BUILT_INS = ["approved", "invited", "referral_credited", "rejected", "status_link", "verify"]
PROMO = {
    "subject": "News from {{ brand.name }}",
    "html": "<p>Hi {{ name }}, see {{ status_url }}</p>",
    "text": "Hi {{ name }}, see {{ status_url }}",
}


@pytest.fixture
def templates(client, tenant):
    """Calls on the workspace's templates; each answers the response."""

    class Templates:
        def path(self, rest: str = "", owner=tenant) -> str:
            return owner.path(f"/email-templates{rest}")

        def list(self, **params):
            return client.get(self.path(), params=params, headers=tenant.read_auth)

        def get(self, name: str):
            return client.get(self.path(f"/{name}"), headers=tenant.read_auth)

        def put(self, name: str, body: dict, headers=None):
            return client.put(self.path(f"/{name}"), json=body, headers=headers or tenant.auth)

        def delete(self, name: str, headers=None):
            return client.delete(self.path(f"/{name}"), headers=headers or tenant.auth)

        def preview(self, name: str, body: dict | None = None, headers=None):
            return client.post(
                self.path(f"/{name}/preview"), json=body, headers=headers or tenant.auth
            )

    return Templates()


def test_the_list_holds_every_built_in_template_with_its_sources(templates):
    response = templates.list(limit=100)

    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body["data"]] == sorted([*BUILT_INS, "welcome"])
    assert body["pagination"] == {"next_cursor": None, "has_more": False}
    welcome = next(t for t in body["data"] if t["name"] == "welcome")
    assert welcome["built_in"] is True
    assert welcome["overrides_built_in"] is False
    assert welcome["subject"].startswith("You're on the {{ waitlist_name }} waitlist")
    assert "{{ referral_link }}" in welcome["html"]
    assert "{{ referral_link }}" in welcome["text"]
    assert welcome["created_at"] is None


def test_a_saved_template_is_listed_among_the_built_ins_and_read_back(templates, clock):
    created = templates.put("promo", PROMO)

    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "promo",
        **PROMO,
        "built_in": False,
        "overrides_built_in": False,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:00:00Z",
    }
    assert templates.get("promo").json() == created.json()
    names = [(t["name"], t["built_in"]) for t in templates.list(limit=100).json()["data"]]
    assert ("promo", False) in names
    assert len(names) == 8


def test_putting_again_replaces_the_template(templates, clock):
    templates.put("promo", PROMO)
    clock.advance(minutes=5)

    replaced = templates.put("promo", {**PROMO, "subject": "Fresh news"})

    assert replaced.status_code == 200
    assert replaced.json()["subject"] == "Fresh news"
    assert replaced.json()["created_at"] == "2026-03-02T09:00:00Z"
    assert replaced.json()["updated_at"] == "2026-03-02T09:05:00Z"
    assert templates.get("promo").json()["subject"] == "Fresh news"


def test_the_list_pages_by_name(templates):
    for name in ("a-first", "zz-last"):
        assert templates.put(name, PROMO).status_code == 201

    first = templates.list(limit=3).json()
    second = templates.list(limit=3, cursor=first["pagination"]["next_cursor"]).json()
    third = templates.list(limit=3, cursor=second["pagination"]["next_cursor"]).json()

    names = [t["name"] for page in (first, second, third) for t in page["data"]]
    assert names == ["a-first", *sorted([*BUILT_INS, "welcome"]), "zz-last"]
    assert third["pagination"] == {"next_cursor": None, "has_more": False}
    assert templates.list(cursor="bogus").status_code == 422


@pytest.mark.parametrize(
    "field, source",
    [
        ("subject", "{{ ''.__class__.__mro__ }}"),
        ("html", "<p>{{ ''.__class__.__mro__[1].__subclasses__() }}</p>"),
        ("text", "{{ name.__class__.__init__.__globals__ }}"),
    ],
)
def test_a_template_reaching_past_the_sandbox_is_refused_at_save(templates, field, source):
    response = templates.put("evil", {**PROMO, field: source})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0].startswith("Not allowed in a template")
    assert "<class" not in response.text
    assert templates.get("evil").status_code == 404


@pytest.mark.parametrize(
    "field, source, problem",
    [
        ("subject", "{% if %}", "Does not render"),
        ("html", "{{ no_such_value }}", "Does not render"),
        ("text", "{{ position / 0 }}", "Does not render"),
    ],
)
def test_a_template_that_does_not_render_is_refused(templates, field, source, problem):
    response = templates.put("broken", {**PROMO, field: source})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][field][0].startswith(problem)


@pytest.mark.parametrize("name", ["Promo", "-promo", "promo-", "pro mo", "x" * 65, "pro.mo"])
def test_a_template_name_must_be_a_slug(templates, name):
    response = templates.put(name, PROMO)

    assert response.status_code == 422
    assert "name" in response.json()["errors"]


def test_missing_or_empty_sources_are_422(templates):
    response = templates.put("promo", {"subject": "Hi", "html": ""})

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"html", "text"}


def test_a_custom_template_with_a_built_in_name_overrides_it_until_deleted(templates):
    override = templates.put("welcome", PROMO)
    assert override.status_code == 201
    assert override.json()["built_in"] is False
    assert override.json()["overrides_built_in"] is True
    listed = [t for t in templates.list(limit=100).json()["data"] if t["name"] == "welcome"]
    assert [t["subject"] for t in listed] == [PROMO["subject"]]

    assert templates.delete("welcome").status_code == 204

    restored = templates.get("welcome").json()
    assert restored["built_in"] is True
    assert restored["subject"].startswith("You're on the")


def test_a_built_in_template_itself_cannot_be_deleted(templates):
    response = templates.delete("verify")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert templates.get("verify").json()["built_in"] is True


def test_deleting_an_unknown_template_is_404(templates):
    assert templates.delete("nothing-here").status_code == 404
    assert templates.get("nothing-here").status_code == 404


def test_a_template_a_setting_names_cannot_be_deleted(client, tenant, templates):
    templates.put("promo", PROMO)
    settings = client.put(
        tenant.path("/settings"), json={"approved_template_name": "promo"}, headers=tenant.auth
    )
    assert settings.status_code == 200

    response = templates.delete("promo")

    assert response.status_code == 409
    assert response.json()["errors"] == {"approved_template_name": ["Names the template 'promo'."]}
    assert templates.get("promo").status_code == 200
    # Once the setting names another, it goes.
    client.put(tenant.path("/settings"), json={"approved_template_name": None}, headers=tenant.auth)
    assert templates.delete("promo").status_code == 204


def test_an_override_a_setting_names_can_go_since_the_built_in_remains(client, tenant, templates):
    templates.put("welcome", PROMO)
    client.put(
        tenant.path("/settings"), json={"welcome_template_name": "welcome"}, headers=tenant.auth
    )

    assert templates.delete("welcome").status_code == 204


def test_the_preview_renders_the_stored_template_with_sample_data_and_the_brand(
    client, tenant, templates
):
    client.put(
        tenant.path("/settings"),
        json={"brand_name": "Acme Rockets", "primary_color": "#ff5500"},
        headers=tenant.auth,
    )

    response = templates.preview("welcome")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subject"] == "You're on the Analytical Engine waitlist (#42)"
    assert "Hi Ada Lovelace," in body["text"]
    assert "https://example.com/?ref=abc123" in body["text"]
    assert '<strong style="font-size:18px;">Acme Rockets</strong>' in body["html"]
    assert "#ff5500" in body["html"]
    assert "Unsubscribe" in body["html"]


def test_the_preview_renders_unsaved_sources_and_saves_nothing(templates):
    response = templates.preview("promo", PROMO)

    assert response.status_code == 200
    assert response.json()["subject"] == "News from Acme"
    assert response.json()["text"].startswith(
        "Hi Ada Lovelace, see https://example.com/w/acme/engine/status?token=sample"
    )
    assert templates.get("promo").status_code == 404


def test_a_partial_preview_body_takes_the_rest_from_the_stored_template(templates):
    response = templates.preview("verify", {"subject": "Confirm {{ email }}"})

    assert response.status_code == 200
    assert response.json()["subject"] == "Confirm ada@example.com"
    assert "https://example.com/v1/confirm?token=sample" in response.json()["text"]


def test_previewing_what_the_sandbox_refuses_is_422(templates):
    response = templates.preview("verify", {"html": "{{ ''.__class__.__mro__ }}"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["html"]


def test_previewing_an_unknown_template_needs_every_source(templates):
    assert templates.preview("nothing-here").status_code == 404
    response = templates.preview("nothing-here", {"subject": "Hi"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"html", "text"}


def test_a_read_credential_reads_but_writes_nothing(templates, tenant):
    templates.put("promo", PROMO)

    assert templates.get("promo").status_code == 200
    assert templates.list().status_code == 200
    assert templates.put("promo", PROMO, headers=tenant.read_auth).status_code == 403
    assert templates.delete("promo", headers=tenant.read_auth).status_code == 403
    # Like every POST, a preview takes a write credential.
    assert templates.preview("promo", headers=tenant.read_auth).status_code == 403
    assert templates.get("promo").json()["subject"] == PROMO["subject"]


def test_another_workspace_sees_none_of_it(client, make_tenant, templates):
    other = make_tenant("other")
    templates.put("promo", PROMO)

    for method, rest in [
        ("get", ""),
        ("get", "/promo"),
        ("put", "/promo"),
        ("delete", "/promo"),
        ("post", "/promo/preview"),
    ]:
        response = client.request(
            method,
            templates.path(rest),
            json=PROMO if method == "put" else None,
            headers=other.auth,
        )
        assert response.status_code == 404, (method, rest)
        assert response.json()["code"] == "not_found"
    # Its own list has the built-ins only.
    own = client.get(templates.path(owner=other), headers=other.auth)
    assert "promo" not in [t["name"] for t in own.json()["data"]]


def test_a_setting_may_name_a_saved_template_but_not_an_unknown_one(client, tenant, templates):
    templates.put("promo", PROMO)

    ok = client.put(
        tenant.path("/settings"), json={"invited_template_name": "promo"}, headers=tenant.auth
    )
    bad = client.put(
        tenant.path("/settings"), json={"invited_template_name": "nope"}, headers=tenant.auth
    )

    assert ok.status_code == 200
    assert bad.status_code == 422
