"""Request and response models for credentials."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from waitline.kit.fields import Name


class TokenRequest(BaseModel):
    grant_type: Literal["client_credentials"]
    client_id: str = Field(min_length=1, max_length=64)
    client_secret: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class MeOut(BaseModel):
    workspace_id: str
    workspace_slug: str
    api_key_id: str
    api_key_name: str
    scope: str


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scope: Literal["write", "read"] = "write"


class ApiKeyOut(BaseModel):
    id: str
    name: str
    scope: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: datetime


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. Shown this once; only a hash is kept.")
