"""``xunfang network info`` and ``xunfang route``: look at a road network and ask it for a route.

Both take a network as a path in any supported format or a known city's name, and are read from
the disk cache after the first run, so a dispatcher's question is answered in about a second
(most of it Python start-up).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from xunfang.core import geo
from xunfang.core.cli_support import print_json
from xunfang.core.errors import InvalidInput
from xunfang.network.graph import RoadClass, RoadGraph

app = typer.Typer(help="Road networks: load, inspect, cache.", no_args_is_help=True)

_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$")


def parse_at(text: str) -> tuple[str, int]:
    """``--at`` as (HH:MM, hour): ``08:00``, ``8``, ``17:45:00``, an ISO date-time, or ``now``."""
    value = text.strip()
    if value.lower() == "now":
        now = datetime.now()
        return f"{now.hour:02d}:{now.minute:02d}", now.hour
    match = _CLOCK.match(value)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        second = int(match.group(3) or 0)
        if hour < 24 and minute < 60 and second < 60:
            return f"{hour:02d}:{minute:02d}", hour
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return f"{moment.hour:02d}:{moment.minute:02d}", moment.hour
    raise InvalidInput(
        f"--at: expected a time of day HH:MM between 00:00 and 23:59 (or an ISO date-time, or 'now'), "
        f"got {text!r}",
        field="at",
    )


def network_summary(graph: RoadGraph) -> dict[str, Any]:
    """What ``network info`` prints: size, how much was dropped outside the routable core, extent."""
    meta = graph.meta
    km = graph.total_length_km
    km_dropped = float(meta.get("km_dropped", 0.0))
    nodes_in = int(meta.get("nodes_in", graph.n_nodes))
    edges_in = int(meta.get("edges_in", graph.n_edges + int(meta.get("edges_dropped", 0))))
    _, first = np.unique(graph.edge_segment, return_index=True)
    by_class = np.bincount(
        graph.edge_class[first], weights=graph.edge_length_m[first], minlength=len(RoadClass)
    )
    out: dict[str, Any] = {
        "name": graph.name,
        "source": meta.get("source"),
        "format": meta.get("format"),
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "roads": int(first.size),
        "km": round(km, 3),
        "oneway_edges": int(graph.edge_oneway.sum()),
        "components": meta.get("components"),
        "kept": {"nodes": graph.n_nodes, "edges": graph.n_edges, "km": round(km, 3)},
        "dropped": {
            "nodes": int(meta.get("nodes_dropped", 0)),
            "edges": int(meta.get("edges_dropped", 0)),
            "km": round(km_dropped, 3),
        },
        "input": {
            "nodes": nodes_in,
            "edges": edges_in,
            "roads": int(meta.get("roads_in", first.size)),
            "km": round(float(meta.get("km_in", km + km_dropped)), 3),
        },
        "km_by_class": {
            c.name.lower(): round(float(by_class[c]) / 1000.0, 3) for c in RoadClass if by_class[c] > 0
        },
        "named_edges": int((graph.edge_name != "").sum()),
        "bbox": [round(v, 7) for v in graph.bbox()],
        "crs": graph.crs,
        "storage_crs": "EPSG:4326",
    }
    for key in ("source_crs", "osm_ways", "features", "cache"):
        if key in meta:
            out[key] = meta[key]
    return out


@app.command("info")
def info(
    source: Annotated[
        str, typer.Argument(help="network path (GMNS folder, edges.csv, .osm.pbf, line layer) or city")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    crs: Annotated[
        str | None, typer.Option("--crs", help="CRS of a line layer without one, e.g. EPSG:2913")
    ] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="layer of a multi-layer file")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="read the source even if cached")] = False,
) -> None:
    """Nodes, edges, km of road, what was dropped outside the routable core, extent and CRS."""
    import time

    from xunfang.network.io import load_network

    start = time.perf_counter()
    graph = load_network(source, crs=crs, layer=layer, use_cache=not no_cache)
    summary = network_summary(graph)
    summary["load_s"] = round(time.perf_counter() - start, 4)
    if as_json:
        print_json(summary)
        return
    d, w = summary["dropped"], summary["bbox"]
    typer.echo(
        f"{summary['name']} ({summary['format']}): {summary['nodes']:,} nodes, {summary['edges']:,} edges, "
        f"{summary['km']:,.1f} km of road in the routable core\n"
        f"dropped outside the core ({summary['components']:,} components in the data): {d['nodes']:,} nodes, "
        f"{d['edges']:,} edges, {d['km']:,.1f} km\n"
        f"extent lon {w[0]:.5f}..{w[2]:.5f}, lat {w[1]:.5f}..{w[3]:.5f}; metric CRS {summary['crs']}"
    )


def route(
    from_point: Annotated[str, typer.Argument(metavar="FROM", help="start as LON,LAT")],
    to_point: Annotated[str, typer.Argument(metavar="TO", help="destination as LON,LAT")],
    *,
    mode: Annotated[
        str, typer.Option("--mode", help="car | motorcycle | ebike | foot | horse | drone")
    ] = "car",
    at: Annotated[str, typer.Option("--at", help="time of day HH:MM (congestion), or 'now'")] = "now",
    network: Annotated[str, typer.Option("--network", help="city name or network path")] = "chicago",
    profile: Annotated[Path | None, typer.Option("--profile", help="travel profile (.toml/.json)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (GeoJSON geometry)")] = False,
) -> None:
    """Fastest route between two points: seconds, metres and the line to draw."""
    from xunfang.network.engine import NetworkEngine
    from xunfang.network.io import load_network
    from xunfang.network.travel import Mode, TravelModel

    a = geo.parse_lonlat(from_point, name="FROM")
    b = geo.parse_lonlat(to_point, name="TO")
    m = Mode.parse(mode)
    clock, hour = parse_at(at)
    model = TravelModel.from_file(profile) if profile is not None else TravelModel.from_settings()
    graph = load_network(network)
    engine = NetworkEngine(graph, model)
    offsets = [float(engine.snapper.snap(p[0], p[1], name=n)[1][0]) for p, n in ((a, "FROM"), (b, "TO"))]
    result: dict[str, Any] = {"network": graph.name, "mode": m.value, "at": clock, "hour": hour}
    if m is Mode.DRONE:
        metres = float(geo.haversine_m(a[0], a[1], b[0], b[1]))
        seconds = float(model.drone_seconds(metres))
        line: dict[str, object] = {"type": "LineString", "coordinates": [list(a), list(b)]}
        result.update(seconds=round(seconds, 3), metres=round(metres, 2), streets=[], edges=0)
    else:
        found = engine.route(a, b, mode=m, hour=hour)
        line = found.geojson()
        result.update(
            seconds=round(found.seconds, 3),
            metres=round(found.metres, 2),
            streets=_streets(graph, found.edges),
            edges=int(found.edges.size),
        )
    result.update(
        minutes=round(result["seconds"] / 60.0, 2),
        offroad_m={"from": round(offsets[0], 1), "to": round(offsets[1], 1)},
        geometry=line,
    )
    if as_json:
        print_json(result)
        return
    via = f" via {', '.join(result['streets'][:4])}" if result["streets"] else ""
    typer.echo(
        f"{m.value} at {clock}: {result['minutes']:.1f} min ({result['seconds']:.0f} s), "
        f"{result['metres'] / 1000.0:.2f} km{via}"
    )


def _streets(graph: RoadGraph, edges: np.ndarray) -> list[str]:
    """Street names along a route in driving order, each run of the same name once."""
    names: list[str] = []
    for name in graph.edge_name[edges].tolist():
        if name and (not names or names[-1] != name):
            names.append(str(name))
    return names
