"""The committed front-end bundle is current and offline.

Stale: the hash of frontend/ sources recorded at build time must equal the hash of the sources
now (rebuild with ``cd frontend && npm ci && npm run build`` and commit ``src/xunfang/web/dist``).
Offline: no asset the browser loads may name an external origin (no CDN, tile server or font host).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xunfang.web import DIST
from xunfang.web.stamp import recorded_sha256, source_files, sources_sha256

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
LOADED = {".js", ".mjs", ".css", ".html", ".json", ".svg", ".webmanifest"}
URL = re.compile(r"""(?:https?:)?//[^\s"'`()<>\\]+""", re.IGNORECASE)
ABSOLUTE = re.compile(r"""^(?:https?:)?//""", re.IGNORECASE)
# XML namespace names are identifiers, never fetched; localhost is the app itself.
ALLOWED = re.compile(
    r"^(?:https?:)?//(?:www\.w3\.org/(?:2000/svg|1999/xhtml|1999/xlink|XML/1998/namespace)"
    r"|localhost(?::\d+)?(?:/|$)|127\.0\.0\.1(?::\d+)?(?:/|$))",
    re.IGNORECASE,
)


def external_origins(text: str) -> list[str]:
    """Absolute http(s) or protocol-relative addresses in ``text`` that are not allow-listed."""
    found = []
    for match in URL.finditer(text):
        url = match.group(0)
        before = text[max(0, match.start() - 1) : match.start()]
        if not url.lower().startswith("http") and before not in {"(", '"', "'", "`", "="}:
            continue  # "//" inside code, e.g. a regular expression or an operator, not an address
        if ABSOLUTE.match(url) and not ALLOWED.match(url) and "." in url.split("/")[2]:
            found.append(url)
    return found


def test_bundle_is_built_and_current() -> None:
    assert (DIST / "index.html").is_file(), "src/xunfang/web/dist is missing: run npm run build in frontend/"
    assert FRONTEND.is_dir()
    assert "package-lock.json" in source_files(FRONTEND)
    assert recorded_sha256(DIST) == sources_sha256(FRONTEND), (
        "the committed web bundle is stale: run `cd frontend && npm ci && npm run build` and commit "
        "src/xunfang/web/dist"
    )


def test_stamp_changes_with_sources(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.ts").write_text("export const a = 1;\n")
    (tmp_path / "package-lock.json").write_text("{}")
    before = sources_sha256(tmp_path)
    (tmp_path / "src" / "a.ts").write_text("export const a = 2;\n")
    assert sources_sha256(tmp_path) != before


def test_no_built_asset_names_an_external_origin() -> None:
    assets = [p for p in DIST.rglob("*") if p.suffix in LOADED]
    assert any(p.suffix == ".js" for p in assets)
    offenders = {
        p.relative_to(DIST).as_posix(): hits
        for p in assets
        if (hits := external_origins(p.read_text(encoding="utf-8", errors="replace")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ('fetch("https://tiles.example.com/{z}/{x}/{y}.pbf")', True),
        ("@import url(//fonts.googleapis.com/css?family=Noto)", True),
        ('src="http://cdn.jsdelivr.net/npm/x.js"', True),
        ('createElementNS("http://www.w3.org/2000/svg","svg")', False),
        ('new URL(n, "http://localhost/")', False),
        ("a = b // c; re = /\\/\\/x/", False),
    ],
)
def test_external_origin_detector(text: str, bad: bool) -> None:
    assert bool(external_origins(text)) is bad
