"""One typed Settings object for the whole application.

Values come from environment variables with the prefix ``XUNFANG_`` (``XUNFANG_DATABASE_URL``,
``XUNFANG_DATA_DIR``, ...) or an optional TOML file named by ``XUNFANG_CONFIG``. Nothing else in
the code reads the environment. Unsafe values (a default secret outside development) are refused
at start, not discovered later.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEV_SECRET = "xunfang-development-secret-do-not-use-in-production"
RoleName = Literal["admin", "commander", "dispatcher", "station", "patrol", "volunteer", "analyst", "auditor"]
# the roles that sit at a console: production requires MFA of them unless told otherwise
INTERACTIVE_ROLES: tuple[RoleName, ...] = ("admin", "commander", "dispatcher", "station", "auditor")


def _default_data_dir() -> Path:
    """``../shared/data`` next to the project checkout, or next to the working directory."""
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *here.parents]:
        candidate = parent.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "data"


class Settings(BaseSettings):
    """Application settings; see docs/architecture.md for what each one drives."""

    model_config = SettingsConfigDict(env_prefix="XUNFANG_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir("xunfang")))
    state_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("xunfang")))
    database_url: str = ""
    # pub/sub that fans live events out across `xunfang serve --workers N` (xunfang.api.fanout)
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = DEV_SECRET
    token_minutes: int = Field(default=480, ge=1, le=24 * 60)
    stale_position_s: float = Field(default=120.0, gt=0)
    # request threads of one service process (see xunfang.api.app: more threads, more GIL waits)
    request_threads: int = Field(default=8, ge=1, le=200)
    coverage_thresholds_s: tuple[float, ...] = (60.0, 180.0, 300.0)
    travel_profile: Path | None = None  # TOML/JSON speeds and congestion (xunfang.network.profile)
    max_body_bytes: int = Field(default=1 << 20, gt=0)
    # position batches processed at once and fixes/s admitted; beyond them position reports are
    # shed with 503 so incident intake and dispatch keep their latency (xunfang.api.admission)
    position_slots: int = Field(default=2, ge=1, le=64)
    position_budget_per_s: float = Field(default=5000.0, gt=0)
    default_lang: Literal["zh", "en"] = "zh"
    bulletin_dir: Path | None = None  # set: the service writes the daily/weekly/monthly bulletins here
    bulletin_hour: int = Field(default=6, ge=0, le=23)  # UTC hour of the daily bulletin run
    # AES-256-GCM key for caller/reporter/party fields (xunfang.store.crypto): 64 hex digits, or a
    # file holding them; kept outside the database. Development/test generate state_dir/field.key.
    field_key: str = ""
    field_key_file: Path | None = None
    # sessions and login (xunfang.api.sessions, xunfang.store.users; docs/security.md)
    idle_minutes: int = Field(default=30, ge=0, le=24 * 60)  # no request for this long locks it; 0: never
    revocation_check_s: float = Field(default=2.0, gt=0, le=5.0)  # how stale a worker's view may be
    login_delay_s: float = Field(default=1.0, ge=0, le=60)  # progressive delay base (1, 2, 4 s ...)
    # roles that must enrol a TOTP second factor to log in; unset: INTERACTIVE_ROLES in production
    mfa_required_roles: tuple[RoleName, ...] | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("XUNFANG_CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("XUNFANG_SECRET_KEY must be set to a private value when XUNFANG_ENV=production")
        if self.env == "production" and not self.field_key and self.field_key_file is None:
            raise ValueError(
                "XUNFANG_FIELD_KEY (64 hex digits) or XUNFANG_FIELD_KEY_FILE must be set when "
                "XUNFANG_ENV=production: caller identities are encrypted with it"
            )
        if list(self.coverage_thresholds_s) != sorted(self.coverage_thresholds_s):
            raise ValueError("XUNFANG_COVERAGE_THRESHOLDS_S must be increasing, e.g. [60, 180, 300]")
        return self

    @property
    def mfa_roles(self) -> frozenset[str]:
        """Roles refused a token until they have enrolled a TOTP secret (``xunfang users mfa``)."""
        if self.mfa_required_roles is not None:
            return frozenset(self.mfa_required_roles)
        return frozenset(INTERACTIVE_ROLES) if self.env == "production" else frozenset()

    @property
    def effective_database_url(self) -> str:
        """The configured database, or a SQLite file in the user's data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'xunfang.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
