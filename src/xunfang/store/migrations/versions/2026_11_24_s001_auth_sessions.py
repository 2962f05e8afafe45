"""MFA, progressive login delay, revocation and the idle lock: user columns and auth_sessions

Revision ID: s001
Revises: d001
Create Date: 2026-11-24 09:00:00

Users gain an encrypted TOTP secret (with the last accepted time step), the instant before which
no password is checked (progressive delay), a count of lockouts in a row, a session version that
revocation increments, and a disabled flag. ``auth_sessions`` holds one row per login with its
last activity, so the 30-minute idle lock holds across workers and restarts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xunfang.store.crypto
import xunfang.store.models

revision = "s001"
down_revision = "d001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_login_at", xunfang.store.models.UTCDateTime(timezone=True)))
        batch_op.add_column(sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("mfa_secret", xunfang.store.crypto.EncryptedText()))
        batch_op.add_column(sa.Column("mfa_last_step", sa.Integer()))
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "auth_sessions",
        sa.Column("sid", sa.String(length=32), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("issued_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_auth_sessions")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_name"), ["user_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_name"))
    op.drop_table("auth_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        for col in (
            "disabled",
            "session_version",
            "mfa_last_step",
            "mfa_secret",
            "lockouts",
            "next_login_at",
        ):
            batch_op.drop_column(col)
