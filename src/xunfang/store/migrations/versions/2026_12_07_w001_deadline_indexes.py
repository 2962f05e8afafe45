"""indexes for the deadline watch

Revision ID: w001
Revises: r001
Create Date: 2026-12-07 21:40:00

The watch looks every few seconds for incidents still waiting whose arrival deadline has passed
and that are not yet flagged, and for on-scene incidents due a hand-over prompt. With only the
status index it read every open incident each time (in a 10-minute surge, tens of thousands,
under SQLite's write lock); led by the flag, these indexes reach only the incidents still due.
"""

from __future__ import annotations

from alembic import op

revision = "w001"
down_revision = "r001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_deadline_due", ["deadline_missed", "status", "deadline_at"])
        batch_op.create_index("ix_incidents_handover_due", ["handover_prompted", "status", "on_scene_at"])


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_handover_due")
        batch_op.drop_index("ix_incidents_deadline_due")
