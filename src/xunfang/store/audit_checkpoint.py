"""Signed audit checkpoints kept outside the database.

The hash chain alone cannot tell a truncated tail from a short log when the attacker also rewrites
``audit_head``, nor a chain recomputed from some row on: anyone can compute sha256. A checkpoint is
the head's (seq, hash) signed with HMAC-SHA256 under the service's secret key and appended to a file
under ``state_dir`` (a different place, and a different key holder, than the database). Verification
then checks every checkpoint still matches the row at its sequence number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from xunfang.store import audit
from xunfang.store.models import AuditEntry, AuditHead, utcnow

FILE_NAME = "audit_checkpoints.jsonl"


@dataclass
class AuditReport:
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _mac(key: str, seq: int, digest: str, at: str) -> str:
    msg = f"{seq}:{digest}:{at}".encode()
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def write(session: Session, path: Path, key: str) -> dict[str, object]:
    """Append a signed checkpoint of the current head to ``path`` (fsync'd) and return it."""
    head = session.get(AuditHead, 1)
    seq, digest = (head.seq, head.last_hash) if head else (0, audit.GENESIS)
    at = utcnow().isoformat()
    line = {"seq": seq, "hash": digest, "at": at, "mac": _mac(key, seq, digest, at)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return line


def check(session: Session, path: Path | None, key: str) -> AuditReport:
    """The chain scan plus every checkpoint in ``path`` (when it exists)."""
    problems, first = audit.scan(session)
    rep = AuditReport(problems=problems, first_bad_seq=first)
    if path is None or not path.exists():
        return rep
    hashes = {int(q): str(h) for q, h in session.execute(select(AuditEntry.seq, AuditEntry.hash)).all()}
    last_present = max(hashes, default=0)
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        rep.checkpoints += 1
        try:
            cp = json.loads(raw)
            seq, digest, at, mac = int(cp["seq"]), str(cp["hash"]), str(cp["at"]), str(cp["mac"])
        except (ValueError, KeyError, TypeError):
            rep.problems.append(f"{path}: line {n} is not a checkpoint")
            continue
        if not hmac.compare_digest(mac, _mac(key, seq, digest, at)):
            rep.problems.append(f"{path}: line {n} has a bad signature (checkpoint file edited)")
            continue
        if seq == 0:
            continue
        if seq not in hashes:
            rep.problems.append(f"checkpoint seq {seq}: row missing (log truncated after seq {last_present})")
            _first(rep, min(seq, last_present + 1))
        elif hashes[seq] != digest:
            rep.problems.append(f"checkpoint seq {seq}: hash differs (rows up to {seq} were rewritten)")
            _first(rep, seq)  # an upper bound: the rewrite starts at or before it
    return rep


def _first(rep: AuditReport, seq: int) -> None:
    rep.first_bad_seq = seq if rep.first_bad_seq is None else min(rep.first_bad_seq, seq)
