"""What a signup must satisfy before anything is stored: email, name, custom fields."""

from dataclasses import dataclass
from typing import Any

import orjson

from waitline.entries.emails import CheckedEmail, check_email, is_disposable
from waitline.entries.schemas import JoinRequest
from waitline.kit.errors import ValidationFailed
from waitline.kit.fields import check_email_syntax, check_http_url
from waitline.waitlists.schemas import CustomField, WaitlistSettings

MAX_METADATA_BYTES = 8 * 1024
MAX_TEXT_ANSWER = 1000


@dataclass(frozen=True)
class CheckedJoin:
    request: JoinRequest
    email: CheckedEmail
    name: str | None
    metadata: dict[str, Any]


def check_join(settings: WaitlistSettings, request: JoinRequest) -> CheckedJoin:
    try:
        email = check_email(request.email)
    except ValueError as exc:
        raise ValidationFailed(
            {"email": [f"Not a valid email address: {exc}."]}, code="invalid_email"
        ) from None
    if settings.block_disposable_emails and is_disposable(email.domain):
        raise ValidationFailed(
            {"email": ["Addresses at throwaway email providers are not accepted."]},
            code="invalid_email",
        )
    errors: dict[str, list[str]] = {}
    name = (request.name or "").strip() or None
    if settings.collect_name == "required" and name is None:
        errors["name"] = ["Required."]
    if settings.collect_name == "hidden":
        name = None
    metadata = _check_answers(settings.custom_fields, request.metadata or {}, errors)
    if errors:
        raise ValidationFailed(errors)
    return CheckedJoin(request=request, email=email, name=name, metadata=metadata)


def _check_answers(
    fields: list[CustomField], answers: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    if len(orjson.dumps(answers)) > MAX_METADATA_BYTES:
        errors["metadata"] = [f"Must be at most {MAX_METADATA_BYTES // 1024} KiB."]
        return {}
    by_key = {field.key: field for field in fields}
    for key in answers:
        if key not in by_key:
            errors[f"metadata.{key}"] = ["Not a field of this waitlist."]
    kept: dict[str, Any] = {}
    for field in fields:
        value = answers.get(field.key)
        if value is None or value == "":
            if field.required:
                errors[f"metadata.{field.key}"] = ["Required."]
            continue
        problem = _answer_problem(field, value)
        if problem:
            errors[f"metadata.{field.key}"] = [problem]
        else:
            kept[field.key] = value
    return kept


def _answer_problem(field: CustomField, value: Any) -> str | None:
    if field.type == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "Must be a number."
    if field.type == "checkbox":
        if not isinstance(value, bool):
            return "Must be true or false."
        return "Must be checked." if field.required and value is False else None
    if not isinstance(value, str):
        return "Must be text."
    if len(value) > MAX_TEXT_ANSWER:
        return f"Must be at most {MAX_TEXT_ANSWER} characters."
    if field.type == "select" and value not in field.options:
        return "Must be one of the options."
    checker = {"email": check_email_syntax, "url": check_http_url}.get(field.type)
    if checker:
        try:
            checker(value)
        except ValueError as exc:
            return f"Value {exc}."
    return None
