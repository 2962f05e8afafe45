"""Bulletins built from the real Chicago history: the PDF's first page is not blank, every CJK
character of the HTML exists in the Noto CJK font, and the printed figures are the analysis
package's own period statistics."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xunfang.analysis import stats
from xunfang.core.errors import InvalidInput
from xunfang.reports import build as bulletin
from xunfang.reports import history_part

DATE = "2019-06-12"


@pytest.fixture(scope="module")
def chicago(data_dir: Path) -> Any:
    return bulletin.load("chicago")


@pytest.fixture(scope="module")
def built(chicago: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bulletins")
    db = f"sqlite:///{out / 'empty.db'}"
    from xunfang.store.db import make_engine
    from xunfang.store.migrate import upgrade

    eng = make_engine(db)
    upgrade(eng)
    eng.dispose()
    files: dict[str, Path] = {}
    for lang, fmt, url in (("zh", ("html", "pdf"), db), ("en", ("html",), None)):
        req = bulletin.Request(
            "week", bulletin.parse_date(DATE), lang, fmt, out, database_url=url, method="naive"
        )
        for p in bulletin.build(req, chicago):
            files[f"{lang}.{p.suffix[1:]}"] = p
    return files


class _Text(HTMLParser):
    """Visible text and style text of a document (attribute values such as data URIs excluded)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _cjk_font_cmap() -> set[int]:
    from fontTools.ttLib import TTCollection
    from matplotlib import font_manager

    path = font_manager.findfont(
        font_manager.FontProperties(family="Noto Sans CJK SC"), fallback_to_default=False
    )
    assert "NotoSansCJK" in path, path
    for font in TTCollection(path).fonts:
        if font["name"].getDebugName(1) == "Noto Sans CJK SC":
            return set(font.getBestCmap())
    raise AssertionError("Noto Sans CJK SC is not in " + path)


def test_pdf_first_page_is_not_blank(built: dict[str, Path]) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(built["zh.pdf"]))
    assert len(pdf) >= 3
    page = pdf[0]
    image = np.asarray(page.render(scale=1.0).to_pil().convert("L"))
    ink = float((image < 200).mean())
    assert ink > 0.02, f"page 1 is nearly blank ({ink:.3%} ink)"
    text = re.sub(r"\s+", "", page.get_textpage().get_text_range())  # letter-spacing adds spaces
    pdf.close()
    assert "周分析" in text and "总体态势" in text  # Chinese text is real text with mapped glyphs


def test_html_has_no_missing_glyphs(built: dict[str, Path]) -> None:
    parser = _Text()
    parser.feed(built["zh.html"].read_text(encoding="utf-8"))
    text = "".join(parser.parts)
    cmap = _cjk_font_cmap()
    needed = {ord(c) for c in text if ord(c) > 0x7F and not c.isspace()}
    assert any(0x4E00 <= c <= 0x9FFF for c in needed)
    missing = sorted(chr(c) for c in needed - cmap)
    assert missing == [], f"characters without a glyph in Noto Sans CJK SC: {missing}"
    assert "Noto Sans CJK SC" in text  # the CSS names the font


def test_bulletin_figures_are_the_analysis_figures(chicago: Any, built: dict[str, Path]) -> None:
    history, _districts, _places = chicago
    expected = stats.period_stats(history, period="week", date=pd.Timestamp(DATE))
    html = built["zh.html"].read_text(encoding="utf-8")
    assert re.search(rf">{expected['total']['count']}</div><div class=\"l\">警情总数<", html)
    for name, v in expected["by_district"].items():
        row = rf"<tr><td>{re.escape(name)}</td><td>{v['count']}</td><td>{v['previous']}</td>"
        assert re.search(row, html), f"district {name}: {v}"
    t = pd.to_datetime(history["time"])
    week = history[(t >= pd.Timestamp("2019-06-10")) & (t < pd.Timestamp("2019-06-17"))]
    assert expected["total"]["count"] == len(week)  # and those are the raw rows of that ISO week


def test_sections_without_records_say_so(built: dict[str, Path]) -> None:
    zh = built["zh.html"].read_text(encoding="utf-8")
    en = built["en.html"].read_text(encoding="utf-8")
    assert zh.count("本期无记录") >= 5  # empty service database: nothing invented
    assert "No service database connected" in en


def test_dates_outside_the_history_are_refused(chicago: Any, tmp_path: Path) -> None:
    history, districts, _ = chicago
    for day in ("2009-06-01", "2021-01-01"):
        with pytest.raises(InvalidInput, match="outside the incident history"):
            history_part.collect(history, districts, period="week", date=pd.Timestamp(day), method="naive")
    with pytest.raises(InvalidInput):
        bulletin.parse_formats("html,docx")
    with pytest.raises(InvalidInput):
        bulletin.parse_date("12/06/2019")


def test_every_chinese_label_has_a_glyph() -> None:
    """Labels only shown when a section has data (or in other periods) are covered too."""
    from xunfang.reports import i18n

    tables = [i18n.WORDS, i18n.TITLES, i18n.LEVEL_NAMES, i18n.RULE_NAMES, i18n.PLACE_NAMES, i18n.FORCE_NAMES]
    text = "".join(v for t in tables for v in t["zh"].values())
    missing = sorted(
        {c for c in text if ord(c) > 0x7F and not c.isspace()} - {chr(c) for c in _cjk_font_cmap()}
    )
    assert missing == []


def test_scheduled_run_falls_back_to_the_end_of_the_history(data_dir: Path, tmp_path: Path) -> None:
    from datetime import date

    from xunfang.reports.schedule import run_due

    files = run_due(date(2020, 1, 1), out=tmp_path, method="naive")  # a Wednesday and the 1st
    names = sorted(p.name for p in files)
    assert names == [
        "bulletin-day-2019-12-31-zh.html",
        "bulletin-day-2019-12-31-zh.pdf",
        "bulletin-month-2019-12-01-zh.html",
        "bulletin-month-2019-12-01-zh.pdf",
    ]


def test_service_starts_and_stops_with_the_bulletin_task(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from xunfang.api.app import create_app
    from xunfang.api.context import ServiceContext
    from xunfang.core.settings import Settings
    from xunfang.store.db import make_engine
    from xunfang.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    upgrade(engine)
    ctx = ServiceContext(settings=Settings(env="test", bulletin_dir=tmp_path / "b"), engine=engine)
    with TestClient(create_app(ctx, watch_deadlines=False)) as client:
        assert client.get("/community/report").status_code == 200
    engine.dispose()
