"""Demo seeding for `xunfang serve --demo chicago|beijing`: the real jurisdiction, ≥200 units of
mixed force types at stations and patrol-zone posts, and one user per role. Idempotent: what is
already in the database is kept (areas only when none exist, units and users by id/name).

The unit fleet is synthetic (no bureau publishes its rota); positions start at each unit's home.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from xunfang.core.errors import InvalidInput
from xunfang.forces.types import ForceType
from xunfang.jurisdiction import loaders
from xunfang.jurisdiction.generate import StationArea
from xunfang.jurisdiction.model import Area, Level
from xunfang.store import jurisdiction as jstore
from xunfang.store.models import Unit, UnitPosition, User, utcnow
from xunfang.store.users import Role, add_user

CITIES = ("chicago", "beijing")
# per station: at the station, then at posts (patrol-zone centres), then one rotating specialist
AT_STATION = (ForceType.PATROL_POLICE, ForceType.PATROL_POLICE, ForceType.TRAFFIC_POLICE)
AT_POSTS = (
    ForceType.PATROL_POLICE,
    ForceType.AUXILIARY_POLICE,
    ForceType.VOLUNTEER_POLICE,
    ForceType.GRID_WORKER,
    ForceType.PROPERTY_GUARD,
)
ROTATING = (
    ForceType.SPECIAL_POLICE,
    ForceType.ARMED_POLICE,
    ForceType.NIGHT_PATROL,
    ForceType.K9_TEAM,
    ForceType.DRONE,
    ForceType.MOUNTED_PATROL,
)
NIGHT = (20 * 60, 6 * 60)


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: Role
    password: str
    station: str | None
    unit: str | None


def city_areas(
    city: str, data_dir: Path, cell_size_m: float | None = None
) -> tuple[list[Area], list[StationArea]]:
    if city == "chicago":
        cell = cell_size_m or 500.0
        return loaders.chicago(
            data_dir, cell_size_m=cell, zone_size_m=max(cell, 2000.0)
        ), loaders.chicago_stations(data_dir)
    if city == "beijing":
        cell = cell_size_m or 1000.0
        areas = loaders.beijing(data_dir, cell_size_m=cell, zone_size_m=max(cell, 3000.0))
        return areas, loaders.beijing_stations(data_dir)[1]
    raise InvalidInput(f"unknown demo city {city!r}; expected one of {', '.join(CITIES)}", field="--demo")


def plan_units(stations: list[StationArea], areas: list[Area], per_station: int) -> list[Unit]:
    zones: dict[str, list[Area]] = {}
    for a in areas:
        if a.level is Level.PATROL_ZONE and a.parent:
            zones.setdefault(a.parent, []).append(a)
    out = []
    for si, st in enumerate(stations):
        kinds = [*AT_STATION, *AT_POSTS, ROTATING[si % len(ROTATING)], ROTATING[(si + 3) % len(ROTATING)]]
        if per_station < len(kinds):  # small stations: one patrol car, the rest rotate through the types
            rest = kinds[1:]
            kinds = [kinds[0], *(rest[(si + j) % len(rest)] for j in range(len(rest)))]
        posts = zones.get(st.code) or []
        for k, ft in enumerate(kinds[:per_station]):
            if k < len(AT_STATION) or not posts:
                lon, lat = st.lon, st.lat
            else:
                p = posts[(k - len(AT_STATION)) % len(posts)].geometry.representative_point()
                lon, lat = shapely.get_coordinates(p)[0]
            start, end = NIGHT if ft is ForceType.NIGHT_PATROL else (0, 1440)
            uid = f"{st.code}-{ft.value[:3].upper()}-{k + 1:02d}"
            out.append(
                Unit(
                    id=uid,
                    name=f"{st.name_zh} {ft.zh}{k + 1}",
                    force_type=ft.value,
                    mode=ft.spec.mode.value,
                    station_code=st.code,
                    status="available",
                    shift_start_min=start,
                    shift_end_min=end,
                    home_lon=float(lon),
                    home_lat=float(lat),
                )
            )
    return out


def seed(
    session: Session,
    city: str,
    data_dir: Path,
    *,
    per_station: int | None = None,
    cell_size_m: float | None = None,
) -> list[DemoUser]:
    """Seed the demo (idempotent); returns the demo users and their passwords."""
    areas, stations = city_areas(city, data_dir, cell_size_m)
    per = per_station or max(2, min(10, -(-200 // len(stations))))
    now = utcnow()
    with session.begin():
        if jstore.count(session) == 0:
            jstore.save(session, areas)
        have = set(session.execute(select(Unit.id)).scalars())
        new = [u for u in plan_units(stations, areas, per) if u.id not in have]
        session.add_all(new)
        session.flush()
        session.add_all([UnitPosition(unit_id=u.id, lon=u.home_lon, lat=u.home_lat, at=now) for u in new])
        users = _demo_users(stations[0].code, session)
        names = set(session.execute(select(User.name)).scalars())
        for u in users:
            if u.name not in names:
                add_user(
                    session,
                    name=u.name,
                    role=u.role,
                    password=u.password,
                    station_code=u.station,
                    unit_id=u.unit,
                    actor="demo-seed",
                )
    return users


def _demo_users(station: str, session: Session) -> list[DemoUser]:
    def first(ft: ForceType) -> str | None:
        return session.execute(
            select(Unit.id).where(Unit.force_type == ft.value).order_by(Unit.id).limit(1)
        ).scalar()

    unit = {Role.PATROL: first(ForceType.PATROL_POLICE), Role.VOLUNTEER: first(ForceType.VOLUNTEER_POLICE)}
    return [
        DemoUser(
            f"demo-{r.value}", r, f"demo-{r.value}-pass", station if r is Role.STATION else None, unit.get(r)
        )
        for r in Role
    ]
