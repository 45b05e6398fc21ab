"""Statements over the event log."""

from sqlalchemy import Select, select

from waitline.db.models import Event

# A synthetic event made by `POST .../webhooks/{id}/test` carries this key in its data. It
# is sent to that one endpoint only and is no part of the workspace's event log.
TEST_MARK = "test"


def not_a_test():
    """Events that happened (a test event's data holds `"test": true`)."""
    return Event.data[TEST_MARK].as_boolean().is_not(True)


def workspace_events_stmt(workspace_id: str, type_: str | None = None) -> Select:
    stmt = select(Event).where(Event.workspace_id == workspace_id, not_a_test())
    if type_ is not None:
        stmt = stmt.where(Event.type == type_)
    return stmt
