"""Captcha verification with reCAPTCHA v3, Turnstile or hCaptcha, over HTTP."""

import httpx

from waitline.config import Settings
from waitline.kit.errors import WaitlineError
from waitline.waitlists.schemas import Captcha

TIMEOUT_SECONDS = 5.0


def verify_captcha(
    captcha: Captcha, secret: str, token: str | None, remote_ip: str, settings: Settings
) -> None:
    """Return when the provider vouches for the token; refuse otherwise, also when it is down."""
    if not token:
        raise WaitlineError(
            "This waitlist needs a captcha token.", status=400, code="captcha_required"
        )
    url = {
        "recaptcha": settings.recaptcha_verify_url,
        "turnstile": settings.turnstile_verify_url,
        "hcaptcha": settings.hcaptcha_verify_url,
    }[captcha.provider]
    form = {"secret": secret, "response": token, "remoteip": remote_ip}
    try:
        response = httpx.post(url, data=form, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        verdict = response.json()
    except (httpx.HTTPError, ValueError):
        raise WaitlineError(
            "The captcha could not be checked: its provider did not answer. Try again shortly.",
            status=503,
            code="captcha_unavailable",
            headers={"Retry-After": "30"},
        ) from None
    if not isinstance(verdict, dict) or verdict.get("success") is not True:
        raise WaitlineError("The captcha was not passed.", status=400, code="captcha_failed")
    if captcha.provider == "recaptcha":
        score = verdict.get("score")
        # A reply without a score comes from a v2 key (or is no v3 reply at all): min_score
        # cannot vouch for it, so letting it through would switch the check off.
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise WaitlineError(
                "The captcha was not a reCAPTCHA v3 token.", status=400, code="captcha_failed"
            )
        if score < captcha.min_score:
            raise WaitlineError("The captcha score was too low.", status=400, code="captcha_failed")
