"""64-bit ids and audit sequence numbers on PostgreSQL

Revision ID: r001
Revises: s001
Create Date: 2026-11-25 09:00:00

The serial ids of incidents, their events, assignments, track points and the audit log, the
columns referring to incidents, and the audit sequence become BIGINT (sequences AS bigint). A
32-bit counter ends at 2,147,483,647: at 2,000 position fixes/s the track ids would run out in
twelve days and every later insert would fail. SQLite is unchanged: its INTEGER columns hold 64 bits.
"""

from __future__ import annotations

from alembic import op

revision = "r001"
down_revision = "s001"
branch_labels = None
depends_on = None

SERIAL_IDS = ("incidents", "incident_events", "assignments", "unit_tracks", "audit_log")
COLUMNS = (
    ("incident_events", "incident_id"),
    ("assignments", "incident_id"),
    ("idempotency_keys", "incident_id"),
    ("community_reports", "incident_id"),
    ("audit_log", "seq"),
    ("audit_head", "seq"),
)


def _retype(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind}")
    for table in SERIAL_IDS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE {kind}")
        op.execute(f"ALTER SEQUENCE {table}_id_seq AS {kind}")


def upgrade() -> None:
    _retype("bigint")


def downgrade() -> None:
    _retype("integer")
