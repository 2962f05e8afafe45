"""The demo's posts plan: placed by the planning package on the year before the replayed day,
stored and activated at start when no posts plan is active, so the map shows posts and must-patrol
points and lines the way a bureau's plan would (a plan the operator activated is kept)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from xunfang.network.engine import NetworkEngine
from xunfang.planning.postplan import post_plan
from xunfang.store import plans

PLAN_NAME = "demo posts (optimised)"
POSTS, STANDARD_S, HOUR = 40, 180.0, 20


def ensure_post_plan(
    sessions: sessionmaker[Session],
    network: NetworkEngine | None,
    history: pd.DataFrame,
    day: pd.Timestamp,
    *,
    city: str,
    echo: Callable[[str], None] = print,
) -> int | None:
    """Id of the active posts plan, creating and activating one when none is active (None: no network)."""
    with sessions() as s:
        active = [p for p in plans.listing(s, kind="posts") if p.active]
    if active:
        echo(f"posts plan: keeping the active plan {active[-1].name!r} v{active[-1].version}")
        return active[-1].id
    if network is None:
        echo("posts plan: no road network, the map shows the stations as posts")
        return None
    start = pd.Timestamp(day) - pd.Timedelta(days=365)
    t = history["time"]
    rows = history[(t >= start) & (t < pd.Timestamp(day))]
    nodes, _ = network.snapper.nearest(rows["lon"].to_numpy(), rows["lat"].to_numpy())
    weights = np.bincount(nodes[nodes >= 0], minlength=network.graph.n_nodes).astype(np.float64)
    body = post_plan(network.graph, network.weights("car", HOUR), weights, posts=POSTS, standard_s=STANDARD_S)
    end = (pd.Timestamp(day) - timedelta(days=1)).date()
    body.update(city=city, training=[start.date().isoformat(), end.isoformat()], hour=HOUR)
    with sessions() as s:
        saved = plans.save(s, name=PLAN_NAME, kind="posts", body=body, actor="demo-seed")
    with sessions() as s:
        plans.activate(s, saved.id)
    echo(
        f"posts plan: {len(body['posts'])} posts covering {body['covered_share']:.0%} of last year's "
        f"incidents within {STANDARD_S / 60:g} min, {len(body['points'])} must-patrol points, "
        f"{len(body['lines'])} lines (plan {saved.id}, active)"
    )
    return saved.id
