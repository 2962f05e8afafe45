"""The public report page and the follow-up page: plain HTML, inline CSS/JS, no CDN, so they work
on any phone on a station's own network."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from xunfang.community.policy import (
    PER_ADDRESS_PER_HOUR,
    PER_REPORTER_PER_HOUR,
    PHOTO_MAX_BYTES,
    REPORT_CATEGORIES,
    REPORT_CATEGORY_ZH,
)


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("xunfang.community", "templates"), autoescape=select_autoescape())


def report_form() -> str:
    cats = [(c, REPORT_CATEGORY_ZH[c]) for c in REPORT_CATEGORIES]
    return (
        _env()
        .get_template("report.html")
        .render(
            categories=cats,
            per_reporter=PER_REPORTER_PER_HOUR,
            per_address=PER_ADDRESS_PER_HOUR,
            photo_kb=PHOTO_MAX_BYTES // 1000,
        )
    )


def follow(info: dict[str, Any]) -> str:
    return _env().get_template("follow.html").render(info=info, category_zh=REPORT_CATEGORY_ZH)
