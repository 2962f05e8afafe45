"""Simulations as background jobs: start one, poll its progress, read its result.

A simulation of a city-day takes seconds to minutes, so it runs in a worker thread (one at a
time per process, queued) and the client polls. Jobs live in memory: they are analysis products
that can be re-run, not records the centre must keep.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from xunfang.api.deps import SIMULATE, require_role
from xunfang.api.schemas.base import StrictModel
from xunfang.api.security import Principal
from xunfang.core.errors import NotFound, XunfangError

router = APIRouter(prefix="/simulations", tags=["simulation"])
Analyst = Annotated[Principal, Depends(require_role(*SIMULATE))]


class SimulationCreate(StrictModel):
    city: Literal["chicago"] = "chicago"
    plan: str = Field(
        default="stations:100", pattern=r"^(stations|optimised|routes|staffing):[1-9][0-9]{0,3}$"
    )
    date: dt.date = Field(default=dt.date(2019, 7, 4), strict=False)
    replications: int = Field(default=5, ge=1, le=50)
    seed: int = Field(default=1, ge=0, le=2**31 - 1)
    volume: int = Field(default=0, ge=0, le=50_000)


class SimulationRead(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    request: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None


class _Jobs:
    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulation")
        self.lock = threading.Lock()
        self.items: dict[str, SimulationRead] = {}

    def update(self, job_id: str, **changes: Any) -> None:
        with self.lock:
            self.items[job_id] = self.items[job_id].model_copy(update=changes)


def _jobs(request: Request) -> _Jobs:
    state = request.app.state
    if not hasattr(state, "simulation_jobs"):
        state.simulation_jobs = _Jobs()
    jobs: _Jobs = state.simulation_jobs
    return jobs


def _run(jobs: _Jobs, job_id: str, body: SimulationCreate) -> None:
    from xunfang.simulation import runner

    jobs.update(job_id, status="running", progress=0.05)
    try:
        plan = runner.resolve_plan(body.plan, body.city, body.date)
        jobs.update(job_id, progress=0.2)
        result = runner.simulate(
            body.city, plan, body.date, replications=body.replications, seed=body.seed, volume=body.volume
        )
        jobs.update(job_id, status="done", progress=1.0, result=result)
    except XunfangError as exc:
        jobs.update(job_id, status="failed", error=exc.message)


@router.post("", response_model=SimulationRead, status_code=202)
def start(body: SimulationCreate, request: Request, _: Analyst) -> SimulationRead:
    """Queue a simulation of a day against a plan (``stations:N``, ``optimised:N``, ``routes:N`` or
    ``staffing:N``)."""
    jobs = _jobs(request)
    job = SimulationRead(
        id=uuid.uuid4().hex, status="queued", progress=0.0, request=body.model_dump(mode="json")
    )
    with jobs.lock:
        jobs.items[job.id] = job
    jobs.pool.submit(_run, jobs, job.id, body)
    return job


@router.get("/{job_id}", response_model=SimulationRead)
def read(job_id: str, request: Request, _: Analyst) -> SimulationRead:
    with _jobs(request).lock:
        job = _jobs(request).items.get(job_id)
    if job is None:
        raise NotFound(f"no simulation job {job_id!r}")
    return job
