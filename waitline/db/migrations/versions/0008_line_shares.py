"""line_buckets level 2: the waiting count, in shares

A join is told its position, which is the waiting count: summing the blocks read
n / 4,096 rows (250 on a line of a million, 4,000 at 16 million). Level 2 keeps the
count in up to 16 rows per waitlist, each transaction changing one of them at random
(entries/line.py), so that concurrent changes to the line seldom wait for one row.
Each waitlist starts with its whole count in share 0.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SHARE, BLOCK = 2, 1


def upgrade() -> None:
    op.execute(
        "INSERT INTO line_buckets (waitlist_id, level, bucket, count)"
        f" SELECT waitlist_id, {SHARE}, 0, SUM(count) FROM line_buckets"
        f" WHERE level = {BLOCK} GROUP BY waitlist_id"
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM line_buckets WHERE level = {SHARE}")
