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

    # --- Twilio (SMS and voice channels) ---
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""  # also the key webhook signatures are checked with
    twilio_phone_number: str = ""  # the hotline's number, E.164: the From of outbound SMS/calls
    twilio_api_base_url: str = "https://api.twilio.com"  # tests: a local server speaking its API
    twilio_timeout_s: float = Field(default=10.0, gt=0)

    # --- Voice channel (Twilio IVR + Media Streams) and offline speech (Vosk) ---
    # One Vosk model directory per language code, e.g. {"zh": "/models/vosk-model-small-cn"};
    # a language not listed is looked up in speech_models_dir/<lang> (hotline speech models).
    speech_models: dict[str, Path] = Field(default_factory=dict)
    speech_models_dir: Path | None = None  # None: var/models
    speech_threads: int = Field(default=4, ge=1)  # recognisers run on this many threads
    # Which model language listens on each line ("zh", "en"); unset: the line's own code.
    voice_recognition_languages: dict[str, str] = Field(default_factory=dict)
    voice_streaming: bool = True  # False: every call records, transcribed after the call
    voice_operator_number: str = ""  # 人工: where "0" transfers the call; empty: no transfer
    voice_end_silence_ms: int = Field(default=1500, ge=200)  # this much quiet ends speech
    voice_max_speech_s: float = Field(default=90, gt=0)  # one description at most this long
    voice_silence_dbfs: float = -45.0  # frames quieter than this count as silence
    voice_max_recording_s: int = Field(default=120, ge=5)

    @model_validator(mode="after")
    def _fill_paths_and_refuse_placeholders(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'hotline.db').resolve()}"
        if self.attachments_dir is None:
            self.attachments_dir = self.var_dir / "attachments"
        if self.dispatch_model_path is None:
            self.dispatch_model_path = self.var_dir / "dispatch" / "model.joblib"
        if self.speech_models_dir is None:
            self.speech_models_dir = self.var_dir / "models"
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
    def speech_models_path(self) -> Path:
        assert self.speech_models_dir is not None  # filled by the validator
        return self.speech_models_dir

    @property
    def attachments_path(self) -> Path:
        assert self.attachments_dir is not None  # filled by the validator
        return self.attachments_dir


@lru_cache
def get_settings() -> Settings:
    """One instance per process; tests clear the cache after changing the environment."""
    return Settings()
