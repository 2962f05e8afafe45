"""Strict request models: no string→number coercion, no NaN/Infinity, no unknown fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

UnitId = Annotated[str, Field(min_length=1, max_length=64)]


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Lon = Annotated[float, Field(ge=-180.0, le=180.0, allow_inf_nan=False, description="WGS84 longitude")]
Lat = Annotated[float, Field(ge=-90.0, le=90.0, allow_inf_nan=False, description="WGS84 latitude")]


def _iso_text(value: object) -> object:
    """Only ISO 8601 text: a bare number (or numeric string) would be read as Unix seconds."""
    if not isinstance(value, str) or value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("expected ISO 8601 text with a UTC offset, e.g. 2025-11-02T01:30:00-06:00")
    return value


# JSON has no datetime type: ISO 8601 text is parsed, but an offset is required.
Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_iso_text), Field(strict=False, description="ISO 8601 with offset")
]
