"""The incident lifecycle as a pure state machine.

received → dispatched → en_route → on_scene → resolved | handed_over → closed; cancelled from any
open state. Each transition is named by the event that causes it; an event that does not apply
to the current state is a :class:`~xunfang.core.errors.Conflict` naming the allowed events.
"""

from __future__ import annotations

from enum import StrEnum

from xunfang.core.errors import Conflict


class Status(StrEnum):
    RECEIVED = "received"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    HANDED_OVER = "handed_over"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self not in (Status.CLOSED, Status.CANCELLED)


class EventType(StrEnum):
    """Events a user (or the system) posts; ``assign`` comes from the assignments endpoint."""

    ASSIGN = "assign"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    RESOLVED = "resolved"
    HANDOVER = "handover"
    CLOSE = "close"
    CANCEL = "cancel"


S, E = Status, EventType
TRANSITIONS: dict[tuple[Status, EventType], Status] = {
    (S.RECEIVED, E.ASSIGN): S.DISPATCHED,
    (S.DISPATCHED, E.ASSIGN): S.DISPATCHED,
    (S.EN_ROUTE, E.ASSIGN): S.EN_ROUTE,
    (S.ON_SCENE, E.ASSIGN): S.ON_SCENE,
    (S.DISPATCHED, E.EN_ROUTE): S.EN_ROUTE,
    (S.EN_ROUTE, E.ARRIVED): S.ON_SCENE,
    (S.DISPATCHED, E.ARRIVED): S.ON_SCENE,
    (S.ON_SCENE, E.RESOLVED): S.RESOLVED,
    (S.ON_SCENE, E.HANDOVER): S.HANDED_OVER,
    (S.RESOLVED, E.CLOSE): S.CLOSED,
    (S.HANDED_OVER, E.CLOSE): S.CLOSED,
}
for _s in (S.RECEIVED, S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE):
    TRANSITIONS[(_s, E.CANCEL)] = S.CANCELLED

# Once a unit's job at the scene is over, its assignment ends.
RELEASES_UNITS = frozenset({S.RESOLVED, S.HANDED_OVER, S.CLOSED, S.CANCELLED})


def allowed(status: Status) -> list[EventType]:
    return [e for (s, e) in TRANSITIONS if s is status]


def apply(status: Status, event: EventType) -> Status:
    """The state after ``event``; Conflict when the event does not apply now."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        valid = ", ".join(e.value for e in allowed(status)) or "none (the incident is finished)"
        raise Conflict(
            f"event {event.value!r} is not allowed while the incident is {status.value!r}; allowed: {valid}",
            field="type",
        ) from None
