"""Hash-chained audit log: each row's hash covers its content and the previous row's hash.

Appends lock the single ``audit_head`` row, so concurrent writers form one chain; the head keeps
the last sequence number and hash, so deleting the newest rows is detected too. Appends happen in
the caller's transaction: the audit row commits (or rolls back) with the change it records.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from xunfang.store.models import AuditEntry, AuditHead, table, utcnow

GENESIS = "0" * 64


def _digest(*fields: object) -> str:
    """sha256 over (prev_hash, seq, at, actor, action, target, detail)."""
    vals = [f.isoformat() if isinstance(f, datetime) else f for f in fields]
    payload = json.dumps(vals, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


_HEAD = table(AuditHead)
# Statements built once: building one per call (coercing its values, computing its cache key)
# cost about as much as running it.
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_ADD = insert(table(AuditEntry))
_MOVE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("h_seq"), last_hash=bindparam("h_hash"))
)


def append(
    session: Session, *, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> None:
    """Three plain statements on the tables (no ORM unit of work): every write transaction ends
    with one of these while it holds the write lock, so their cost is paid by every writer."""
    text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    at = utcnow()
    session.flush()  # the caller's pending changes go first: on PostgreSQL the head stays locked
    conn = session.connection()  # to the commit; plain statements skip the ORM's per-statement work
    head = conn.execute(_READ_HEAD).one()
    seq = head.seq + 1
    digest = _digest(head.last_hash, seq, at, actor, action, target, text)
    conn.execute(
        _ADD,
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "target": target,
            "detail": text,
            "prev_hash": head.last_hash,
            "hash": digest,
        },
    )
    conn.execute(_MOVE_HEAD, {"h_seq": seq, "h_hash": digest})


def verify(session: Session) -> list[str]:
    """Problems found in the chain (empty: intact)."""
    return scan(session)[0]


def scan(session: Session) -> tuple[list[str], int | None]:
    """(problems, first bad sequence number): where the chain first stops matching itself."""
    problems: list[str] = []
    first: int | None = None
    prev, expected_seq = GENESIS, 1
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for row in rows:
        bad_here: int | None = None
        if row.seq != expected_seq:
            problems.append(f"row seq {expected_seq} is missing (next present: {row.seq})")
            bad_here = expected_seq
        if row.prev_hash != prev:
            problems.append(
                f"row seq {row.seq}: previous-hash link broken (a row before it was changed or removed)"
            )
            bad_here = bad_here or row.seq
        if _digest(row.prev_hash, row.seq, row.at, row.actor, row.action, row.target, row.detail) != row.hash:
            problems.append(f"row seq {row.seq}: content does not match its hash (edited)")
            bad_here = bad_here or row.seq
        if first is None and bad_here is not None:
            first = bad_here
        prev, expected_seq = row.hash, row.seq + 1
    head = session.get(AuditHead, 1)
    if head is None:
        problems.append("audit head row is missing")
    elif head.seq != expected_seq - 1 or head.last_hash != prev:
        problems.append(
            f"chain ends at seq {expected_seq - 1} but the head records seq {head.seq} (rows deleted)"
        )
        if first is None:
            first = min(expected_seq, head.seq + 1)
    return problems, first
