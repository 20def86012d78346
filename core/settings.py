"""The one settings object: every knob of the service, read from `HOTLINE_*` and `.env`.

Nothing else in the code base reads `os.environ`; a part that needs configuration asks
`get_settings()`, so a deployment is described completely by its environment.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Defaults run on a laptop with no services: SQLite under `var/`, a local Temporal."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    secret_key: str = PLACEHOLDER_SECRET

    var_dir: Path = Path("var")
    database_url: str = ""
    attachments_dir: Path | None = None

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "hotline-cases"
    temporal_ui_port: int = 8233
    temporal_connect_timeout_s: float = Field(default=3.0, gt=0)

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"

    timezone: str = "Asia/Shanghai"
    # Statutory holidays and 调休 workdays; None: the China calendar shipped with the project.
    holidays_file: Path | None = None
    # Deadline defaults by urgency; a category may override them (categories table).
    acknowledge_hours_normal: float = Field(default=4, gt=0)
    acknowledge_hours_urgent: float = Field(default=1, gt=0)
    respond_hours_normal: float = Field(default=24, gt=0)
    respond_hours_urgent: float = Field(default=2, gt=0)
    resolve_working_days_normal: int = Field(default=7, gt=0)
    resolve_working_days_urgent: int = Field(default=3, gt=0)
    max_extension_working_days: int = Field(default=15, ge=0)
    callback_attempts: int = Field(default=3, ge=1)
    callback_retry_hours: float = Field(default=16, gt=0)
    temporal_search_attributes: bool = True  # off for servers without them registered
    # Smart dispatch: suggest category and unit for every new case; dispatch on its own when
    # the top category is at least this likely and a unit is found.
    smart_dispatch: bool = True
    dispatch_threshold: float = Field(default=0.6, ge=0, le=1)
    dispatch_model_path: Path | None = None  # None: var/dispatch/model.joblib
    default_phone_region: str = "CN"
    max_description_chars: int = Field(default=4000, gt=0)
    max_attachment_bytes: int = Field(default=20 * 1024 * 1024, gt=0)

    # ---- Governance analytics (analytics/, docs/analytics.md) ----
    # Composite score of a unit = weighted sum of its rates (weights need not add up to 1).
    score_weight_response: float = Field(default=0.10, ge=0)
    score_weight_resolution: float = Field(default=0.45, ge=0)
    score_weight_satisfaction: float = Field(default=0.45, ge=0)
    score_weight_on_time: float = Field(default=0.0, ge=0)
    # How much a 基本满意 counts towards the satisfaction rate (满意 counts 1, 不满意 0).
    basically_satisfied_weight: float = Field(default=1.0, ge=0, le=1)
    ranking_min_evaluated: int = Field(default=1, ge=0)  # fewer evaluated cases: not ranked
    # 未诉先办: a day is a spike when its count beats the same weekdays of the weeks before.
    spike_baseline_weeks: int = Field(default=8, ge=2, le=52)
    spike_min_count: int = Field(default=5, ge=1)
    spike_min_ratio: float = Field(default=2.0, ge=1)
    spike_max_p_value: float = Field(default=0.001, gt=0, lt=1)
    reports_dir: Path | None = None  # None: var/reports

    @model_validator(mode="after")
    def _fill_paths_and_refuse_placeholders(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'hotline.db').resolve()}"
        if self.attachments_dir is None:
            self.attachments_dir = self.var_dir / "attachments"
        if self.dispatch_model_path is None:
            self.dispatch_model_path = self.var_dir / "dispatch" / "model.joblib"
        if self.environment is Environment.production and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("HOTLINE_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def model_path(self) -> Path:
        assert self.dispatch_model_path is not None  # filled by the validator
        return self.dispatch_model_path

    @property
    def attachments_path(self) -> Path:
        assert self.attachments_dir is not None  # filled by the validator
        return self.attachments_dir


@lru_cache
def get_settings() -> Settings:
    """One instance per process; tests clear the cache after changing the environment."""
    return Settings()
