"""Every setting Waitline reads, in one typed object (env prefix WAITLINE_)."""

import secrets
from functools import cached_property
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WAITLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    smtp_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_signup: str = "20/minute"
    rate_limit_public: str = "120/minute"
    rate_limit_admin: str = "1200/minute"
    webhook_allow_private: bool = False
    recaptcha_verify_url: str = "https://www.google.com/recaptcha/api/siteverify"
    turnstile_verify_url: str = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    hcaptcha_verify_url: str = "https://api.hcaptcha.com/siteverify"
    access_token_ttl_seconds: int = 3600
    # `waitline serve` runs the delivery worker inside each app process unless told not to.
    run_worker: bool = True
    # How much `waitline worker` lowers its CPU priority (nice), so that requests come first
    # on a machine it shares with the app, and it then paces itself while the machine is busy
    # (`outbox.worker.Pacing`); 0 keeps it level with them, working flat out.
    worker_nice: int = Field(10, ge=0, le=19)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for network in value:
            ip_network(network, strict=False)
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'waitline.db').resolve()}"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / SECRET_KEY_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key


def load_settings() -> Settings:
    return Settings()
