"""Tables of the console: signed-in sessions and the first-run setup tokens."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from waitline.db.models import Base
from waitline.db.types import JSONType


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is kept."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The user acting now; `user_ids` are all the users (one per workspace) whose password
    # this sign-in proved, so that switching workspace needs no second password.
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class SetupToken(Base):
    """A one-time first-run link, valid until used or until any user exists."""

    __tablename__ = "console_setup_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
