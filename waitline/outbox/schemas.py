"""Events as the events API and webhooks show them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from waitline.outbox.service import EVENT_TYPES

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


class EventOut(BaseModel):
    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any]
