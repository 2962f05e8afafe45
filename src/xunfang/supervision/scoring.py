"""Scoring line coverage against a driven ground-truth route (precision, recall, F1 of arcs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xunfang.supervision.groundtruth import GroundTruth
from xunfang.supervision.mapmatch import MapMatcher
from xunfang.supervision.tracks import Tracks, clean_tracks


@dataclass(frozen=True)
class ArcScore:
    name: str
    fixes: int
    covered: int
    truth: int
    true_positive: int

    @property
    def precision(self) -> float:
        return self.true_positive / self.covered if self.covered else 0.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def thin(tracks: Tracks, every_s: float) -> Tracks:
    """Keep the first fix of each ``every_s`` window per unit (tracks sorted by unit, time)."""
    slot = np.floor(tracks.t / every_s)
    new = np.concatenate([[True], (slot[1:] != slot[:-1]) | (tracks.unit[1:] != tracks.unit[:-1])])
    return tracks.take(np.flatnonzero(new))


def score_groundtruth(gt: GroundTruth, *, every_s: float = 10.0, min_fraction: float = 0.5) -> ArcScore:
    """Arcs judged covered (≥ ``min_fraction`` of their length travelled) against the true route."""
    tracks, _ = clean_tracks(gt.tracks)
    tracks = thin(tracks, every_s)
    pieces, _ = MapMatcher(gt.graph).match(tracks)
    frac = pieces.edge_fraction(gt.graph.n_edges)
    covered = set(gt.edge_arc[frac >= min_fraction].tolist()) - {-1}
    truth = set(gt.route_arcs.tolist())
    return ArcScore(gt.graph.name, len(tracks), len(covered), len(truth), len(covered & truth))
