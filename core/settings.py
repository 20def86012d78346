"""The one settings object: every knob of the service, read from `HOTLINE_*` and `.env`.

Nothing else in the code base reads `os.environ`; a part that needs configuration asks
`get_settings()`, so a deployment is described completely by its environment.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"
MIN_SECRET_BYTES = 32
MAKE_A_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


class SecretKeyInvalid(ValueError):
    """HOTLINE_SECRET_KEY is missing or weak; the message says how to make a real one."""


def secret_key_problem(secret: str) -> str | None:
    """Why `secret` cannot sign sessions and tokens, or None when it can."""
    if not secret:
        problem = "HOTLINE_SECRET_KEY is not set"
    elif secret == PLACEHOLDER_SECRET:
        problem = f"HOTLINE_SECRET_KEY is the placeholder '{PLACEHOLDER_SECRET}'"
    elif len(secret.encode()) < MIN_SECRET_BYTES:
        problem = f"HOTLINE_SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes"
    else:
        return None
    return (
        f"{problem}: anyone who knows or guesses it can forge staff logins. Make one with "
        f"`{MAKE_A_SECRET}` and set it in the environment or .env (`hotline up` makes one for "
        "a laptop and keeps it in var/secret_key)"
    )


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Defaults run on a laptop with no services: SQLite under `var/`, a local Temporal."""

    # hide_input_in_errors: a refused setting must not print the secrets next to it.
    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    environment: Environment = Environment.development
    # Signs console sessions, staff API tokens and the public forms' cookies: at least 32
    # random bytes outside tests (`require_secret_key`). Empty: only commands that sign
    # nothing (db, staff, case ...) run; `hotline up` makes one in var/secret_key.
    secret_key: str = ""

    var_dir: Path = Path("var")
    database_url: str = ""
    attachments_dir: Path | None = None

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "hotline-cases"
    temporal_ui_port: int = 8233
    temporal_connect_timeout_s: float = Field(default=3.0, gt=0)
    # host:port where a case worker serves the Temporal SDK's own metrics (temporal_* series:
    # task latencies, slots, polls) for Prometheus, e.g. 127.0.0.1:9464. Empty: not served;
    # the default, because `hotline up --workers N` runs N workers on one host and each
    # needs its own port (a deployment sets it per worker container: deploy/).
    temporal_metrics_address: str = ""

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
    # the top leaf (or the leaves sharing one unit, together) is at least this likely and a
    # unit is found. Chosen for precision: a wrong dispatch costs a return and a day.
    smart_dispatch: bool = True
    dispatch_threshold: float = Field(default=0.95, ge=0, le=1)
    dispatch_model_path: Path | None = None  # None: var/dispatch/model.joblib
    default_phone_region: str = "CN"
    max_description_chars: int = Field(default=4000, gt=0)
    max_attachment_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # Workers start, this often, the workflows of cases recorded while Temporal was down.
    reconcile_interval_s: float = Field(default=60, gt=0)
    # ---- the outbox sender (notices.sender): every notice to a citizen or unit ----
    # Each worker runs a sender unless this is off (then run `hotline sender` on its own).
    outbox_sender_in_worker: bool = True
    outbox_poll_s: float = Field(default=0.5, gt=0)  # idle wait; new rows wake it at once
    outbox_lease_s: float = Field(default=60, gt=0)  # a row a crashed sender held waits this
    outbox_max_attempts: int = Field(default=20, ge=1)  # then the row is `failed` for staff
    outbox_backoff_max_s: float = Field(default=600, gt=0)  # 1 s, 2 s, 4 s ... at most this
    outbox_concurrency: int = Field(default=16, ge=1)  # cases sent at once (in order per case)
    # ---- web: public pages, staff console and staff API (issue 6) ----
    session_hours: float = Field(default=8, gt=0)  # console login lifetime
    api_token_hours: float = Field(default=8, gt=0)  # staff API bearer token lifetime
    # Failed logins (and wrong one-time codes) are counted in fixed windows in the shared
    # rate-limit store (channel_rate_limit_backend): per (username, client address) ...
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)  # ... and per address
    # One-time codes of /track one client address may have sent per window, whatever the cases.
    details_codes_per_address: int = Field(default=20, ge=1)
    login_window_s: int = Field(default=300, ge=1)  # ... within this window, then locked
    # Proxies whose X-Forwarded-For names the client (addresses or networks, comma-separated,
    # e.g. "127.0.0.1" for nginx on the same host); empty: the peer's own address, always.
    trusted_proxies: str = ""
    details_code_minutes: float = Field(default=10, gt=0)  # one-time code for case details
    public_feed_size: int = Field(default=50, ge=1, le=500)
    # The citizen form's map (Leaflet, vendored under web/static/vendor): tiles in Web Mercator
    # with WGS-84 points, e.g. OpenStreetMap's or a city's own tile server; the attribution is
    # the text the tile provider's licence asks for. Tests point it at a local tile route.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"
    map_center_latitude: float = Field(default=39.9042, ge=-90, le=90)
    map_center_longitude: float = Field(default=116.4074, ge=-180, le=180)
    map_zoom: int = Field(default=11, ge=1, le=19)
    # Open cases within this distance of the pin are shown on the map and as possible duplicates.
    nearby_radius_m: float = Field(default=500, gt=0, le=5000)

    # ---- bounded inputs and logs (docs/security.md) ----
    # Any request body above this is answered 413 before it is read (streamed bodies too);
    # it must leave room for a photo of max_attachment_bytes and the form around it.
    max_request_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object a line, for log shippers

    # --- Twilio (SMS and voice channels) ---
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""  # also the key webhook signatures are checked with
    twilio_phone_number: str = ""  # the hotline's number, E.164: the From of outbound SMS/calls
    twilio_api_base_url: str = "https://api.twilio.com"  # tests: a local server speaking its API
    twilio_timeout_s: float = Field(default=10.0, gt=0)

    # --- SMS channel and per-sender rate limiting (issue 5) ---
    sms_max_segments: int = Field(default=6, ge=1, le=10)  # longer outbound texts are trimmed
    # Per sender, counted messages (new requests, details, survey answers; never commands or
    # button presses) in any window of channel_rate_limit_window_s seconds (a sliding window).
    channel_rate_limit_messages: int = Field(default=20, ge=1)
    channel_rate_limit_window_s: int = Field(default=3600, ge=1)
    channel_rate_limit_backend: Literal["database", "memory"] = "database"

    # ---- e-mail channel (SMTP): notices, surveys and one-time codes to citizens' e-mail ----
    # Unset host: no e-mail; notices to an e-mail address go to the log as before.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""  # the From address, e.g. "12345 <noreply@12345.example.gov.cn>"
    smtp_starttls: bool = True  # upgrade the connection before logging in (port 587)
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    # How long the signed survey link of a callback notice stays good.
    survey_link_days: float = Field(default=7, gt=0)

    # ---- Open311 GeoReport v2 (api/open311, docs/open311.md) ----
    # The one jurisdiction this endpoint serves; a request naming another one gets 404.
    open311_jurisdiction_id: str = "12345.beijing.gov.cn"
    open311_contact: str = "Beijing 12345 citizen service hotline: call 12345"
    open311_key_service: str = "API keys are issued by the hotline's administrators"
    open311_changeset: str = "2026-11-25T00:00:00Z"  # bump when the endpoint's behaviour changes

    # --- Telegram (chat channel: channels/chat, docs/chat.md) ---
    telegram_bot_token: str = ""  # empty: no Telegram bot, chat notices go to the log
    telegram_api_base_url: str = "https://api.telegram.org"  # a local Bot API server in tests
    telegram_webhook_secret: str = ""  # X-Telegram-Bot-Api-Secret-Token; required for webhooks
    # FSM storage and duplicate-update memory; empty: in process memory (polling, one API
    # worker). Several API workers behind one webhook need it shared: redis://127.0.0.1:6379/0
    telegram_redis_url: str = ""
    telegram_timeout_s: float = Field(default=30.0, gt=0)
    # The per-chat rate limit is the shared one: channel_rate_limit_* above.

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
    # The schedule `hotline-spike-watch` (analytics/watch.py): every worker creates or updates
    # it at start, so the check runs every spike_watch_every_min minutes on the case workers.
    # Off by default in the test environment (its many workers must not all schedule it).
    spike_watch: bool = True
    spike_watch_every_min: int = Field(default=60, ge=5)
    reports_dir: Path | None = None  # None: var/reports (the CLI's reports)
    # Hot topics read at most this many of a period's texts (an even spread beyond), at about
    # 3,000 a second per core; 0: every text, for a report with time to spare.
    report_topic_texts: int = Field(default=30_000, ge=0)
    # The API's report cache (var/report-cache): a report of a period still running is built
    # again when older than this; one built after its period ended is kept.
    reports_cache_seconds: int = Field(default=300, ge=0)
    # The font file charts and PDFs draw Chinese with (.ttf/.ttc/.otf), registered by path;
    # None: the first of analytics/fonts.py's Debian paths (fonts-wqy-zenhei, fonts-noto-cjk).
    cjk_font: Path | None = None

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
    # A media stream must start within this many seconds of the TwiML that opened it.
    voice_stream_token_s: int = Field(default=300, ge=10)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"HOTLINE_TRUSTED_PROXIES: '{item}' is not an IP address or network"
                ) from exc
        return value

    @model_validator(mode="after")
    def _fill_paths_and_refuse_weak_secrets(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'hotline.db').resolve()}"
        if self.attachments_dir is None:
            self.attachments_dir = self.var_dir / "attachments"
        if self.dispatch_model_path is None:
            self.dispatch_model_path = self.var_dir / "dispatch" / "model.joblib"
        if self.speech_models_dir is None:
            self.speech_models_dir = self.var_dir / "models"
        if self.environment is Environment.test and "spike_watch" not in self.model_fields_set:
            self.spike_watch = False  # unless a test asks for it
        if self.secret_key and self.environment is not Environment.test:
            problem = secret_key_problem(self.secret_key)  # a weak one is refused at once
            if problem:
                raise ValueError(problem)
        return self

    def require_secret_key(self) -> str:
        """The secret key of a process that signs or checks tokens (the API, the workers);
        outside tests a missing or weak one raises `SecretKeyInvalid` saying how to fix it."""
        problem = secret_key_problem(self.secret_key)
        if problem and self.environment is not Environment.test:
            raise SecretKeyInvalid(problem)
        return self.secret_key

    @property
    def trusted_proxy_list(self) -> list[str]:
        """`trusted_proxies` as uvicorn's `forwarded_allow_ips` takes it."""
        return _split(self.trusted_proxies)

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


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache
def get_settings() -> Settings:
    """One instance per process; tests clear the cache after changing the environment."""
    return Settings()
