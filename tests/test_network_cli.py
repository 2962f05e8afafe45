"""`xunfang network info`, `xunfang route`, travel profiles and one-line errors for bad input.

The CLI runs in-process through :func:`xunfang.cli.main`, the real entry point, so the tests see
exactly what a user sees: stdout, one error line on stderr, and the exit code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from xunfang.cli import main
from xunfang.core.errors import InvalidInput
from xunfang.core.geo import haversine_m
from xunfang.core.settings import get_settings
from xunfang.network import io
from xunfang.network.cli import parse_at
from xunfang.network.graph import RoadClass
from xunfang.network.travel import DEFAULT_CONGESTION, Mode, TravelModel

CHICAGO_A, CHICAGO_B = "-87.6298,41.8781", "-87.6840,41.9300"  # the Loop → Bucktown
BEIJING_A, BEIJING_B = "116.3975,39.9087", "116.3260,39.9800"  # Tiananmen → Zhongguancun south


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One cache folder for this module's CLI runs (never the user's real cache)."""
    old = os.environ.get("XUNFANG_CACHE_DIR")
    os.environ["XUNFANG_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    get_settings.cache_clear()
    yield
    if old is None:
        os.environ.pop("XUNFANG_CACHE_DIR", None)
    else:
        os.environ["XUNFANG_CACHE_DIR"] = old
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``xunfang ARGV``: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), out.out, out.err


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a command that must fail cleanly; return its one error line."""
    code, out, err = run(capsys, *argv)
    assert code != 0, out
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("xunfang: error: ")
    return lines[0]


# -- network info ------------------------------------------------------------------------------------
@pytest.mark.parametrize("city", ["chicago", "beijing", "helsinki", "tempe-streets"])
def test_network_info_json(city: str, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "network", "info", city, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["name"] == city
    assert info["nodes"] > 0 and info["edges"] >= info["nodes"] // 2 and info["km"] > 0
    assert info["kept"]["nodes"] + info["dropped"]["nodes"] == info["input"]["nodes"]
    assert info["kept"]["edges"] + info["dropped"]["edges"] == info["input"]["edges"]
    assert info["kept"]["km"] + info["dropped"]["km"] == pytest.approx(info["input"]["km"], abs=0.01)
    assert info["components"] >= 1 and info["crs"].startswith("EPSG:326")
    west, south, east, north = info["bbox"]
    assert west < east and south < north
    assert sum(info["km_by_class"].values()) == pytest.approx(info["km"], rel=1e-6)


def test_network_info_plain_text_and_path_source(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "network", "info", str(data_dir / "tempe/asu_gmns_auto"))
    assert code == 0
    assert "nodes" in out and "km of road" in out and "dropped outside the core" in out


# -- route ---------------------------------------------------------------------------------------------
def test_route_chicago_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "route", CHICAGO_A, CHICAGO_B, "--mode", "car", "--at", "08:00", "--json")
    assert code == 0
    r = json.loads(out)
    assert (r["network"], r["mode"], r["at"], r["hour"]) == ("chicago", "car", "08:00", 8)
    straight = float(haversine_m(-87.6298, 41.8781, -87.6840, 41.9300))
    assert straight < r["metres"] < 3 * straight
    assert 60 < r["seconds"] < 3600 and r["minutes"] == pytest.approx(r["seconds"] / 60, abs=0.01)
    line = r["geometry"]
    assert line["type"] == "LineString" and len(line["coordinates"]) > r["edges"]
    assert line["coordinates"][0] == [-87.6298, 41.8781] and line["coordinates"][-1] == [-87.684, 41.93]
    assert r["streets"]
    # rush hour is slower than the night, for the same road path
    _, night, _ = run(capsys, "route", CHICAGO_A, CHICAGO_B, "--at", "03:00", "--json")
    assert json.loads(night)["seconds"] < r["seconds"]


def test_route_beijing_has_chinese_street_names(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "route", BEIJING_A, BEIJING_B, "--network", "beijing", "--at", "17:30", "--json"
    )
    assert code == 0
    r = json.loads(out)
    assert r["network"] == "beijing" and r["seconds"] > 0
    assert any("\u4e00" <= ch <= "\u9fff" for name in r["streets"] for ch in name)
    code, text, _ = run(capsys, "route", BEIJING_A, BEIJING_B, "--network", "beijing", "--at", "17:30")
    assert code == 0 and text.startswith("car at 17:30:") and "km via" in text


def test_route_drone_flies_straight(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "route", CHICAGO_A, CHICAGO_B, "--mode", "drone", "--at", "8", "--json")
    assert code == 0
    r = json.loads(out)
    metres = float(haversine_m(-87.6298, 41.8781, -87.6840, 41.9300))
    assert r["metres"] == pytest.approx(metres, abs=0.01)
    assert r["seconds"] == pytest.approx(metres / (TravelModel().drone_kmh / 3.6), abs=0.01)
    assert len(r["geometry"]["coordinates"]) == 2


def test_route_with_profile_file(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = tmp_path / "flat.toml"
    flat.write_text("congestion = [" + ", ".join(["1.0"] * 24) + "]\n")
    times = []
    for at in ("08:00", "03:00"):
        _, out, _ = run(capsys, "route", CHICAGO_A, CHICAGO_B, "--at", at, "--profile", str(flat), "--json")
        times.append(json.loads(out)["seconds"])
    assert times[0] == pytest.approx(times[1])


# -- bad input: one clear line, non-zero exit --------------------------------------------------------------
def test_missing_network_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = fails(capsys, "network", "info", str(tmp_path / "nowhere.osm.pbf"))
    assert "nowhere.osm.pbf" in line and "not a known city" in line


def test_corrupt_network_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pbf = tmp_path / "broken.osm.pbf"
    pbf.write_bytes(b"\x00\x01garbage")
    assert "broken.osm.pbf: not a readable OSM file" in fails(capsys, "network", "info", str(pbf))
    folder = tmp_path / "gmns"
    folder.mkdir()
    (folder / "node.csv").write_text("node_id,x_coord\n1,2\n")
    (folder / "link.csv").write_text("from_node_id,to_node_id\n1,1\n")
    line = fails(capsys, "network", "info", str(folder))
    assert "node.csv: missing column(s) y_coord" in line


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_unknown_or_missing_crs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import pyogrio
    import shapely

    path = tmp_path / "plain.shp"
    geoms = shapely.to_wkb(np.array([shapely.LineString([(0, 0), (100, 0)])]))
    pyogrio.raw.write(str(path), geoms, [], [], driver="ESRI Shapefile", geometry_type="LineString")
    assert "plain.shp: the layer has no CRS" in fails(capsys, "network", "info", str(path))
    line = fails(capsys, "network", "info", str(path), "--crs", "EPSG:999999")
    assert "unknown CRS 'EPSG:999999'" in line
    code, _, _ = run(capsys, "network", "info", str(path), "--crs", "EPSG:32632", "--json")
    assert code == 0


def test_point_outside_network(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = fails(capsys, "route", "116.3975,39.9087", CHICAGO_B)  # Beijing on the Chicago network
    assert "FROM" in line and "116.397500" in line and "network 'chicago'" in line
    line = fails(capsys, "route", CHICAGO_A, "0,0")
    assert "TO" in line and "nearest road" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--mode", "bus"], "unknown mode 'bus'; expected one of car, motorcycle"),
        (["--at", "25:00"], "--at: expected a time of day HH:MM"),
        (["--at", "8am"], "got '8am'"),
        (["--network", "atlantis"], "atlantis: no such file or folder"),
    ],
)
def test_bad_route_options(
    args: list[str], needle: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert needle in fails(capsys, "route", CHICAGO_A, CHICAGO_B, *args)


@pytest.mark.parametrize(
    ("point", "needle"),
    [
        ("abc", "FROM: expected 'lon,lat'"),
        ("-87.6;41.8", "FROM: expected 'lon,lat'"),
        ("1,2,3", "FROM: expected 'lon,lat'"),
        ("-87.6,nan", "FROM: coordinates must be finite"),
        ("200,41.8", "FROM: longitude 200.0 is outside [-180, 180]"),
    ],
)
def test_malformed_lonlat(point: str, needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert needle in fails(capsys, "route", point, CHICAGO_B)


def test_bad_profile_names_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("congestoin = []\n")
    line = fails(capsys, "route", CHICAGO_A, CHICAGO_B, "--profile", str(bad))
    assert "bad.toml: unknown key 'congestoin'" in line
    broken = tmp_path / "broken.toml"
    broken.write_text("congestion = [1.0,\n")
    assert "broken.toml: not a valid toml travel profile" in fails(
        capsys, "route", CHICAGO_A, CHICAGO_B, "--profile", str(broken)
    )


# -- travel profiles -------------------------------------------------------------------------------------
def test_profile_toml_and_json_change_speeds(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text(
        "drone_kmh = 72\n"
        "[class_speed_kmh]\n"
        "car = [100, 80, 60, 50, 40, 30, 20, 5]\n"
        "ebike = { residential = 16 }\n"
        "[offroad_kmh]\nfoot = 3.6\n"
        "[top_speed_kmh]\ncar = 110\n"
    )
    model = TravelModel.from_file(toml)
    assert model.drone_kmh == 72.0 and model.congestion == DEFAULT_CONGESTION
    assert model.class_speed_kmh[Mode.CAR][RoadClass.PATH] == 5.0
    ebike = model.class_speed_kmh[Mode.EBIKE]
    assert ebike[RoadClass.RESIDENTIAL] == 16.0
    assert ebike[RoadClass.PRIMARY] == TravelModel().class_speed_kmh[Mode.EBIKE][RoadClass.PRIMARY]
    assert float(model.offroad_seconds("foot", 100.0)) == pytest.approx(100.0)
    assert model.top_speed_kmh[Mode.CAR] == 110.0
    js = tmp_path / "p.json"
    js.write_text(json.dumps({"congestion": [1.5] * 24, "offroad_kmh": {"car": 20}}))
    model = TravelModel.from_file(js)
    assert model.congestion == (1.5,) * 24 and model.offroad_kmh[Mode.CAR] == 20.0


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("congestion = [1.0, 1.0]", "congestion"),
        ("congestion = [" + ", ".join(["1.0"] * 23) + ", 0.5]", "congestion[23]"),
        ('[class_speed_kmh]\ncar = [90, 70, 50, 45, 40, 30, 20, "fast"]', "class_speed_kmh.car[7]"),
        ("[class_speed_kmh]\ncar = [90, 70]", "class_speed_kmh.car"),
        ("[class_speed_kmh]\ndrone = [90, 70, 50, 45, 40, 30, 20, 10]", "class_speed_kmh.drone"),
        ("[class_speed_kmh.ebike]\nalley = 10", "class_speed_kmh.ebike.alley"),
        ("[offroad_kmh]\nfoot = -1", "offroad_kmh.foot"),
        ("drone_kmh = true", "drone_kmh"),
    ],
)
def test_bad_profile_values(content: str, key: str, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(content + "\n")
    with pytest.raises(InvalidInput) as exc:
        TravelModel.from_file(path)
    assert exc.value.field == key and f": {key}" in exc.value.message


def test_settings_travel_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"drone_kmh": 90}))
    monkeypatch.setenv("XUNFANG_TRAVEL_PROFILE", str(path))
    get_settings.cache_clear()
    try:
        assert TravelModel.from_settings().drone_kmh == 90.0
    finally:
        monkeypatch.delenv("XUNFANG_TRAVEL_PROFILE")
        get_settings.cache_clear()
    assert TravelModel.from_settings().drone_kmh == TravelModel().drone_kmh


def test_parse_at() -> None:
    assert parse_at("08:00") == ("08:00", 8)
    assert parse_at("7") == ("07:00", 7)
    assert parse_at("17:45:30") == ("17:45", 17)
    assert parse_at("2024-05-01T23:10:00") == ("23:10", 23)
    for bad in ("24:00", "12:60", "noon", ""):
        with pytest.raises(InvalidInput, match="--at"):
            parse_at(bad)


def test_load_city_refuses_unknown_name() -> None:
    with pytest.raises(InvalidInput, match="unknown city 'gotham'"):
        io.load_city("gotham")
