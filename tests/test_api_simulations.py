"""Simulations as background jobs through the API: queue, poll, result; roles and bad input."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine

from svc_world import service, token


def test_simulation_job_runs_to_a_result(engine: Engine, data_dir: Path) -> None:
    with service(engine) as (client, _):
        analyst = token(client, "analyst")
        body = {"plan": "stations:30", "date": "2019-07-04", "replications": 2}
        r = client.post("/api/v1/simulations", json=body, headers=analyst)
        assert r.status_code == 202, r.text
        job = r.json()
        for _ in range(240):
            job = client.get(f"/api/v1/simulations/{job['id']}", headers=analyst).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
        assert job["status"] == "done", job
        assert job["progress"] == 1.0 and job["result"]["units"] == 30
        assert job["result"]["incidents"] > 0


def test_simulation_roles_and_bad_input(engine: Engine) -> None:
    with service(engine) as (client, _):
        assert (
            client.post("/api/v1/simulations", json={}, headers=token(client, "volunteer")).status_code == 403
        )
        analyst = token(client, "analyst")
        for bad in ({"plan": "stations:0"}, {"replications": 0}, {"replications": "3"}, {"city": "gotham"}):
            r = client.post("/api/v1/simulations", json=bad, headers=analyst)
            assert r.status_code == 422, (bad, r.text)
        assert client.get("/api/v1/simulations/nope", headers=analyst).status_code == 404
