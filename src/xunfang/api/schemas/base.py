"""Strict request models: no string→number coercion, no NaN/Infinity, no unknown fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Lon = Annotated[float, Field(ge=-180.0, le=180.0, allow_inf_nan=False, description="WGS84 longitude")]
Lat = Annotated[float, Field(ge=-90.0, le=90.0, allow_inf_nan=False, description="WGS84 latitude")]
# JSON has no datetime type: ISO 8601 text is parsed, but an offset is required.
Timestamp = Annotated[AwareDatetime, Field(strict=False, description="ISO 8601 with offset")]
