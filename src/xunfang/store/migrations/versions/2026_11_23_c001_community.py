"""community co-governance: volunteers, patrol teams, shops, reports, mediators, disputes, hazards

Revision ID: c001
Revises: 0001
Create Date: 2026-11-23 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xunfang.store.models

revision = "c001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mediators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediators")),
        sa.UniqueConstraint("code", name=op.f("uq_mediators_code")),
    )
    op.create_table(
        "patrol_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("created_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_patrol_teams_code")),
    )
    with op.batch_alter_table("patrol_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_teams_station_code"), ["station_code"], unique=False)

    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("created_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("code", name=op.f("uq_shops_code")),
    )
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shops_station_code"), ["station_code"], unique=False)

    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=False),
        sa.Column("skills", sa.Text(), nullable=False),
        sa.Column("availability", sa.String(length=256), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("code", name=op.f("uq_volunteers_code")),
    )
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteers_station_code"), ["station_code"], unique=False)

    op.create_table(
        "community_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reporter_name", sa.String(length=128), nullable=True),
        sa.Column("reporter_phone", sa.String(length=64), nullable=True),
        sa.Column("reporter_key", sa.String(length=64), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("triage_note", sa.Text(), nullable=False),
        sa.Column("triaged_by", sa.String(length=64), nullable=True),
        sa.Column("triaged_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.Column("has_photo", sa.Boolean(), nullable=False),
        sa.Column("created_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_community_reports_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_community_reports_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_reports")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_community_reports_token_hash")),
    )
    with op.batch_alter_table("community_reports", schema=None) as batch_op:
        batch_op.create_index("ix_community_reports_address_at", ["address_key", "created_at"], unique=False)
        batch_op.create_index(
            "ix_community_reports_reporter_at", ["reporter_key", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_community_reports_station_code"), ["station_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_community_reports_status"), ["status"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("subbureau_code", sa.String(length=64), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("helper_volunteer_id", sa.Integer(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("created_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["helper_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_disputes_helper_volunteer_id_volunteers"),
        ),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["mediators.id"], name=op.f("fk_disputes_mediator_id_mediators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_station_code"), ["station_code"], unique=False)

    op.create_table(
        "hazards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("found_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("found_by", sa.String(length=64), nullable=False),
        sa.Column("found_by_volunteer_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("assigned_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rectified_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", xunfang.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["found_by_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_hazards_found_by_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazards")),
    )
    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazards_station_code"), ["station_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazards_status"), ["status"], unique=False)

    op.create_table(
        "patrol_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["patrol_teams.id"], name=op.f("fk_patrol_team_members_team_id_patrol_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_team_members")),
        sa.UniqueConstraint("team_id", "kind", "ref", name="uq_patrol_team_members_member"),
    )
    with op.batch_alter_table("patrol_team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_team_members_team_id"), ["team_id"], unique=False)

    op.create_table(
        "shop_participation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shop_participation_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_participation")),
    )
    with op.batch_alter_table("shop_participation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_participation_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "volunteer_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("at", xunfang.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("team_code", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_volunteer_activities_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_activities")),
    )
    with op.batch_alter_table("volunteer_activities", schema=None) as batch_op:
        batch_op.create_index("ix_volunteer_activities_vol_at", ["volunteer_id", "at"], unique=False)

    op.create_table(
        "community_report_photos",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["community_reports.id"],
            name=op.f("fk_community_report_photos_report_id_community_reports"),
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_community_report_photos")),
    )


def downgrade() -> None:
    op.drop_table("community_report_photos")
    with op.batch_alter_table("volunteer_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteer_activities_vol_at")

    op.drop_table("volunteer_activities")
    with op.batch_alter_table("shop_participation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_participation_shop_id"))

    op.drop_table("shop_participation")
    with op.batch_alter_table("patrol_team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_team_members_team_id"))

    op.drop_table("patrol_team_members")
    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazards_status"))
        batch_op.drop_index(batch_op.f("ix_hazards_station_code"))

    op.drop_table("hazards")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_station_code"))

    op.drop_table("disputes")
    with op.batch_alter_table("community_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_reports_status"))
        batch_op.drop_index(batch_op.f("ix_community_reports_station_code"))
        batch_op.drop_index("ix_community_reports_reporter_at")
        batch_op.drop_index("ix_community_reports_address_at")

    op.drop_table("community_reports")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteers_station_code"))

    op.drop_table("volunteers")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shops_station_code"))

    op.drop_table("shops")
    with op.batch_alter_table("patrol_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_teams_station_code"))

    op.drop_table("patrol_teams")
    op.drop_table("mediators")
