"""The links a person on a waitlist is given: status page, referral, confirm, unsubscribe."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from waitline.entries.tokens import make_token


@dataclass(frozen=True)
class Links:
    base_url: str
    secret_key: str

    def hosted_page(self, workspace_slug: str, waitlist_slug: str) -> str:
        return f"{self.base_url}/w/{quote(workspace_slug)}/{quote(waitlist_slug)}"

    def referral_link(
        self, referral_url: str | None, workspace_slug: str, waitlist_slug: str, code: str
    ) -> str:
        base = referral_url or self.hosted_page(workspace_slug, waitlist_slug)
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}{urlencode({'ref': code})}"

    def status_token(self, entry_id: str, waitlist_id: str, now: datetime) -> str:
        return make_token(self.secret_key, "status", entry_id, waitlist_id, now)

    def status_url(self, workspace_slug: str, waitlist_slug: str, token: str) -> str:
        page = self.hosted_page(workspace_slug, waitlist_slug)
        return f"{page}/status?{urlencode({'token': token})}"

    def confirm_token(self, entry_id: str, waitlist_id: str, now: datetime) -> str:
        return make_token(self.secret_key, "confirm", entry_id, waitlist_id, now)

    def confirm_url(self, entry_id: str, waitlist_id: str, now: datetime) -> str:
        token = self.confirm_token(entry_id, waitlist_id, now)
        return f"{self.base_url}/v1/confirm?{urlencode({'token': token})}"

    def unsubscribe_token(self, entry_id: str, waitlist_id: str, now: datetime) -> str:
        return make_token(self.secret_key, "unsubscribe", entry_id, waitlist_id, now)

    def unsubscribe_url(self, entry_id: str, waitlist_id: str, now: datetime) -> str:
        token = self.unsubscribe_token(entry_id, waitlist_id, now)
        return f"{self.base_url}/v1/unsubscribe?{urlencode({'token': token})}"
