"""Stored, versioned plans (posts, routes, staffing, day plans, supervision plans).

A plan is a JSON document produced by xunfang.planning (or imported). Saving under an existing
name adds the next version; nothing is overwritten, so what was active on a given day can be
shown later. Activating a version deactivates the other versions of the same kind in the same
transaction, so at most one plan of each kind is active.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from xunfang.core.errors import NotFound
from xunfang.store.models import Base, UTCDateTime, utcnow

KINDS = ("posts", "routes", "staffing", "day", "supervision", "deployment")


class StoredPlan(Base):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_plans_name_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def as_dict(self, *, with_body: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "active": self.active,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }
        if with_body:
            out["body"] = json.loads(self.body)
        return out


MAX_ID = 2**31 - 1  # an id column is a 32-bit integer on PostgreSQL: larger asks are simply absent


def save(session: Session, *, name: str, kind: str, body: dict[str, Any], actor: str) -> StoredPlan:
    """Store ``body`` as the next version of plan ``name`` (one transaction)."""
    with session.begin():
        last = session.execute(select(func.max(StoredPlan.version)).where(StoredPlan.name == name)).scalar()
        plan = StoredPlan(
            name=name, kind=kind, version=(last or 0) + 1, body=json.dumps(body, ensure_ascii=False),
            active=False, created_by=actor, created_at=utcnow(),
        )  # fmt: skip
        session.add(plan)
        session.flush()
        session.expunge(plan)
    return plan


def get(session: Session, plan_id: int) -> StoredPlan:
    with session.begin():
        plan = session.get(StoredPlan, plan_id) if 1 <= plan_id <= MAX_ID else None
        if plan is None:
            raise NotFound(f"no plan with id {plan_id}")
        session.expunge(plan)
    return plan


def listing(session: Session, *, kind: str | None = None) -> list[StoredPlan]:
    with session.begin():
        q = select(StoredPlan).order_by(StoredPlan.name, StoredPlan.version)
        if kind:
            q = q.where(StoredPlan.kind == kind)
        rows = list(session.execute(q).scalars())
        for r in rows:
            session.expunge(r)
    return rows


def activate(session: Session, plan_id: int) -> StoredPlan:
    """Make one version the active plan of its kind (the others of that kind stop being active)."""
    with session.begin():
        plan = session.get(StoredPlan, plan_id) if 1 <= plan_id <= MAX_ID else None
        if plan is None:
            raise NotFound(f"no plan with id {plan_id}")
        session.execute(update(StoredPlan).where(StoredPlan.kind == plan.kind).values(active=False))
        plan.active = True
        session.flush()
        session.expunge(plan)
    return plan
