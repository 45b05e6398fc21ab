"""line_buckets at two levels: buckets of 64 scores, and blocks of 64 buckets

A status lookup summed about a thousand buckets of 1,024 scores and walked up to 1,024
index entries on a line of a million. With a level column, the same table counts buckets
of 64 scores (level 0) and blocks of 4,096 scores (level 1): the waiting count sums about
250 blocks, a position about half as many and fewer than 64 buckets, and walks at most
about 64 index entries (entries/line.py).
Both levels are counted again from the entries, as the widths changed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The widths as this revision knows them, whatever entries/line.py says later.
BUCKET_WIDTH = 64
OLD_BUCKET_WIDTH = 1024


def upgrade() -> None:
    op.drop_table("line_buckets")
    _create(with_level=True)
    for level, width in ((0, BUCKET_WIDTH), (1, BUCKET_WIDTH * BUCKET_WIDTH)):
        _count(width, level)


def downgrade() -> None:
    op.drop_table("line_buckets")
    _create(with_level=False)
    _count(OLD_BUCKET_WIDTH, None)


def _create(*, with_level: bool) -> None:
    level = [sa.Column("level", sa.SmallInteger(), nullable=False)] if with_level else []
    op.create_table(
        "line_buckets",
        sa.Column("waitlist_id", sa.String(length=36), nullable=False),
        *level,
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["waitlist_id"],
            ["waitlists.id"],
            name=op.f("fk_line_buckets_waitlist_id_waitlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "waitlist_id",
            *(["level"] if with_level else []),
            "bucket",
            name=op.f("pk_line_buckets"),
        ),
        sqlite_with_rowid=False,
    )


def _count(width: int, level: int | None) -> None:
    """Count the waiting entries into buckets of `width` scores (floored, negatives too),
    at `level` (None: the table has no level column)."""
    bucket = f"CASE WHEN score < 0 THEN (score - {width - 1}) / {width} ELSE score / {width} END"
    level_column, level_value = ("level, ", f"{level}, ") if level is not None else ("", "")
    op.execute(
        f"INSERT INTO line_buckets (waitlist_id, {level_column}bucket, count)"
        f" SELECT waitlist_id, {level_value}{bucket}, count(*) FROM entries"
        f" WHERE waiting GROUP BY waitlist_id, {bucket}"
    )
