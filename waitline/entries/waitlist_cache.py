"""The waitlist a public URL names, kept in memory between requests.

Every public request starts by finding its waitlist and workspace by their slugs; under a
launch's load that lookup was a fifth of a status page's cost, for rows that hardly ever
change. So each process keeps what it found:
- for at most TTL_SECONDS, which bounds how long another process's change (a waitlist
  paused, its settings edited) goes unseen here;
- and not past a commit of this process that changed a waitlist or a workspace, so what
  the team changes through this process shows on its very next request.
The counters that every signup bumps (`last_seq`, `entry_count`) do not count as a change:
a signup reads them fresh inside its own transaction, and the public count is read fresh.
"""

import itertools
import re
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from waitline.db.counters import COUNTERS_ONLY
from waitline.db.models import Waitlist, Workspace
from waitline.db.session import Database
from waitline.entries import service
from waitline.entries.links import Links
from waitline.waitlists.schemas import WaitlistSettings
from waitline.waitlists.service import settings_view
from waitline.workspaces.schemas import WorkspaceSettings
from waitline.workspaces.service import settings_of

TTL_SECONDS = 1.0
MAX_KEPT = 4096
CHANGES = re.compile(
    r'^\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+"?(?:waitlists|workspaces)\b', re.IGNORECASE
)
CHANGED = "waitline_waitlists_changed"
COMMITTED = "waitline_waitlists_change_committed"


@dataclass(frozen=True)
class PublicWaitlist:
    """A waitlist found by its slugs, with its workspace and both their settings, parsed
    once for as long as it is kept (parsing them was a twentieth of a signup's CPU)."""

    workspace: Workspace
    waitlist: Waitlist
    settings: WaitlistSettings
    workspace_settings: WorkspaceSettings

    def context(self, links: Links, now: datetime) -> service.WaitlistContext:
        return service.WaitlistContext(
            self.workspace, self.waitlist, self.settings, self.workspace_settings, links, now
        )


class WaitlistCache:
    def __init__(self, engine: Engine) -> None:
        self._kept: dict[tuple[str, str], tuple[int, float, PublicWaitlist]] = {}
        # Each change takes a number never used before (next() is atomic; += is not).
        self._numbers = itertools.count(1)
        self._generation = 0
        event.listen(engine, "after_cursor_execute", self._note_statement)
        event.listen(engine, "commit", self._note_commit)
        event.listen(engine, "rollback", self._note_rollback)
        event.listen(engine, "checkin", self._note_checkin)

    def public_waitlist(
        self,
        db: Database,
        workspace_slug: str,
        waitlist_slug: str,
        *,
        session: Session | None = None,
    ) -> PublicWaitlist:
        """`service.public_waitlist`, from memory when it may be, and otherwise read in
        the caller's `session`, or in a transaction of its own when the caller has none
        (a signup needs none besides its write). A caller inside a transaction passes it,
        so that a miss never holds a second pooled connection. The objects returned are
        shared by concurrent requests: read them, never change them."""
        key = (workspace_slug, waitlist_slug)
        kept = self._kept.get(key)
        now = time.monotonic()
        if kept is not None and kept[0] == self._generation and kept[1] > now:
            return kept[2]
        generation = self._generation  # before reading: a change committed meanwhile wins
        if session is None:
            with db.transaction(write=False) as own:
                workspace, waitlist = service.public_waitlist(own, workspace_slug, waitlist_slug)
        else:
            workspace, waitlist = service.public_waitlist(session, workspace_slug, waitlist_slug)
            # Out of the caller's session, or its rollback would expire them under others.
            session.expunge(workspace)
            session.expunge(waitlist)
        found = PublicWaitlist(
            workspace, waitlist, settings_view(waitlist.settings), settings_of(workspace)
        )
        if len(self._kept) >= MAX_KEPT:
            self._kept.clear()
        self._kept[key] = (generation, now + TTL_SECONDS, found)
        return found

    def _note_statement(self, conn, _cursor, statement, _params, context, _many) -> None:
        if CHANGES.match(statement) and not (
            context is not None and COUNTERS_ONLY.items() <= context.execution_options.items()
        ):
            conn.info[CHANGED] = True

    def _note_commit(self, conn) -> None:
        # The commit event comes just before the commit itself: a lookup in between could
        # still read the old row and keep it under the new number. So the number changes
        # again once the connection is back in the pool, after its commit.
        if conn.info.pop(CHANGED, False):
            self._generation = next(self._numbers)
            conn.info[COMMITTED] = True

    def _note_rollback(self, conn) -> None:
        conn.info.pop(CHANGED, None)

    def _note_checkin(self, _dbapi_connection, record) -> None:
        if record.info.pop(COMMITTED, False):
            self._generation = next(self._numbers)
