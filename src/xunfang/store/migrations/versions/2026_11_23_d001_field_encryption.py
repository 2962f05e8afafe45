"""field encryption: caller, reporter and dispute-party columns become AES-256-GCM text

Revision ID: d001
Revises: p001
Create Date: 2026-11-23 12:10:00

The columns widen to TEXT (the ciphertext is longer than the plain value) and every value written
before this revision is encrypted in place with the configured field key (xunfang.store.crypto).
Downgrade decrypts them again.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from xunfang.store import crypto

revision = "d001"
down_revision = "p001"
branch_labels = None
depends_on = None

COLUMNS = {
    "incidents": (("caller_name", 128), ("caller_phone", 64)),
    "community_reports": (("reporter_name", 128), ("reporter_phone", 64)),
    "disputes": (("parties", None),),
}


def _rewrite(fn: Callable[[str], str], want_encrypted: bool) -> None:
    conn = op.get_bind()
    for table, cols in COLUMNS.items():
        for col, _len in cols:
            # table/column names come from the constant COLUMNS above, never from input
            query = f"SELECT id, {col} FROM {table} WHERE {col} IS NOT NULL"  # nosec B608
            rows = conn.execute(sa.text(query)).all()
            for row_id, value in rows:
                if str(value).startswith(crypto.PREFIX) == want_encrypted:
                    continue
                conn.execute(
                    sa.text(f"UPDATE {table} SET {col} = :v WHERE id = :i"),
                    {"v": fn(str(value)), "i": row_id},
                )


def upgrade() -> None:
    for table, cols in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col, length in cols:
                if length is not None:
                    batch_op.alter_column(
                        col, existing_type=sa.String(length=length), type_=sa.Text(), existing_nullable=True
                    )
    _rewrite(crypto.encrypt, want_encrypted=True)


def downgrade() -> None:
    _rewrite(crypto.decrypt, want_encrypted=False)
    for table, cols in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col, length in cols:
                if length is not None:
                    batch_op.alter_column(
                        col, existing_type=sa.Text(), type_=sa.String(length=length), existing_nullable=True
                    )
