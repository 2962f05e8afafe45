"""SLA deadlines and hand-over prompts become events; the audit chain detects tampering."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, delete, select, update

from svc_world import incident_body, post_positions, service, token
from xunfang.api.monitor import check_deadlines
from xunfang.store import audit
from xunfang.store.db import session_factory
from xunfang.store.models import AuditEntry, utcnow


def test_missed_deadline_and_handover_prompt(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        post_positions(client, disp)
        a = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "a"}
        ).json()
        b = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "b"}
        ).json()
        client.post(f"/api/v1/incidents/{b['id']}/assignments", json={"unit_id": "U-PAT-1"}, headers=disp)
        client.post(f"/api/v1/incidents/{b['id']}/events", json={"type": "arrived"}, headers=disp)
        sessions = session_factory(engine)
        with sessions() as s:
            assert check_deadlines(s, utcnow()) == []
        with sessions() as s:
            events = check_deadlines(s, utcnow() + timedelta(minutes=6))
        assert {(e["incident_id"], e["what"]) for e in events} == {
            (a["id"], "arrival_missed"),
            (b["id"], "handover_due"),
        }
        with sessions() as s:
            assert check_deadlines(s, utcnow() + timedelta(minutes=7)) == []  # recorded once
        got = client.get(f"/api/v1/incidents/{b['id']}", headers=disp).json()
        assert got["handover_prompted"] and got["events"][-1]["type"] == "handover_prompt"
        h = client.post(f"/api/v1/incidents/{b['id']}/events", json={"type": "handover"}, headers=disp).json()
        assert h["status"] == "handed_over" and "ST-W" in h["events"][-1]["note"]
        assert client.get(f"/api/v1/incidents/{a['id']}", headers=disp).json()["deadline_missed"]


def test_audit_chain_detects_edit_and_delete(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        for k in "abc":
            client.post("/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": k})
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        assert audit.verify(s) == []
        n = len(s.execute(select(AuditEntry.id)).all())
        assert n >= 3
    with sessions() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="mallory"))
    with sessions() as s, s.begin():
        assert any("seq 2" in p and "edited" in p for p in audit.verify(s))
        s.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="dispatcher"))
    with sessions() as s, s.begin():
        assert audit.verify(s) == []
        s.execute(delete(AuditEntry).where(AuditEntry.seq == n))
    with sessions() as s, s.begin():
        assert any("deleted" in p for p in audit.verify(s))
