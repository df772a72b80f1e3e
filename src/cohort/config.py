"""Typed settings read once from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGED_ASSETS = Path(__file__).resolve().parent / "_assets"
DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/cohort"
DEV_SECRET_KEY = "cohort-dev-secret-key-change-me-0123456789abcdef"  # noqa: S105


def asset_dir(name: str) -> Path:
    """Where a bundled folder (``migrations``, ``emails``) is, wherever the code runs.

    A wheel (and so the Docker image) carries them inside the package as ``cohort/_assets/<name>``;
    a source checkout (and an editable install) has them at the repository root.
    """
    packaged = PACKAGED_ASSETS / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_switch(name: str, default: bool | None) -> bool | None:
    """An on/off setting whose absence means "decide by environment"."""
    raw = os.environ.get(name)
    return default if raw is None or raw.strip() == "" else _env_bool(name, False)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else float(raw)


def _env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of integers, e.g. ``REMINDER_OFFSETS_HOURS=24,1``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return tuple(int(part) for part in raw.split(",") if part.strip())


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of strings; an empty value means an empty list."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _env_private_key(default: str) -> str:
    """``GITHUB_APP_PRIVATE_KEY`` (PEM text; ``\\n`` escapes from one-line .env values are unfolded),
    else the contents of the file named by ``GITHUB_APP_PRIVATE_KEY_PATH``."""
    pem = os.environ.get("GITHUB_APP_PRIVATE_KEY", "")
    if pem:
        return pem.replace("\\n", "\n") if "\n" not in pem else pem
    path = os.environ.get("GITHUB_APP_PRIVATE_KEY_PATH", "")
    return Path(path).expanduser().read_text() if path else default


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob the service has; defaults suit a local machine."""

    environment: str = "development"
    debug: bool = False
    database_url: str = DEFAULT_DATABASE_URL
    database_echo: bool = False
    database_pool_size: int = 10  # connections kept open per API process (or worker)
    database_max_overflow: int = 0  # extra connections beyond the pool (opened per burst, then closed)
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = DEV_SECRET_KEY
    session_cookie_name: str = "cohort_session"
    session_max_age_seconds: int = 14 * 24 * 3600
    session_cookie_secure: bool = False
    public_base_url: str = "http://127.0.0.1:8000"
    post_login_redirect: str = "/api/v1/me"
    github_client_id: str = "cohort-dev"
    github_client_secret: str = "cohort-dev-secret"  # noqa: S105
    github_oauth_base_url: str = "https://github.com"
    github_api_base_url: str = "https://api.github.com"
    github_scope: str = "read:user user:email"
    cors_allow_origins: tuple[str, ...] = field(default_factory=tuple)
    worker_shutdown_grace_seconds: int = 20
    api_shutdown_grace_seconds: int = 20
    migrations_dir: Path = field(default_factory=lambda: asset_dir("migrations"))
    emails_dir: Path = field(default_factory=lambda: asset_dir("emails"))
    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    email_backend: str = "file"  # "file" (writes .eml files, for development) or "smtp"
    email_file_dir: Path = Path("var/mail")  # relative to the working directory
    email_from: str = "Cohort <no-reply@cohort.local>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"  # "none", "starttls" or "tls" (implicit TLS, usually port 465)
    smtp_username: str = ""  # empty: no login
    smtp_password: str = ""
    smtp_timeout_seconds: float = 30.0
    queue_name: str = "cohort"  # the SAQ queue (a Redis key prefix) the API enqueues on and the worker serves
    # Jobs: every job gets a timeout and retries with exponential backoff (delay doubles, up to the cap).
    job_timeout_seconds: int = 300
    job_max_attempts: int = 4  # a failing job runs at most this many times
    job_retry_delay_seconds: float = 5.0
    job_retry_backoff_max_seconds: float = 300.0
    # Reminders go out this many hours before each deadline, to those who have not met it yet.
    reminder_offsets_hours: tuple[int, ...] = (24, 1)
    # Digests: at this local time in each recipient's own time zone; weekly on this ISO weekday (1 = Monday).
    digest_local_time: str = "08:00"
    digest_weekday: int = 1
    digest_default_frequency: str = "weekly"  # "daily" or "weekly", for recipients who chose nothing
    digest_catch_up_hours: int = 12  # a digest whose slot was missed by more than this is skipped
    notification_batch_size: int = 500  # recipients read, built and queued per database round trip
    # Outbox delivery: concurrent SMTP sends, and backoff for temporary failures (doubling, capped).
    outbox_send_concurrency: int = 4
    outbox_retry_base_seconds: float = 30.0
    outbox_retry_max_seconds: float = 3600.0
    github_app_id: str = ""
    github_app_private_key: str = ""
    github_webhook_secret: str = ""
    github_api_token: str = ""
    graphql_ide: bool | None = None  # GraphiQL at /graphql; None: on everywhere but production
    graphql_introspection: bool | None = None  # introspection queries; None: on everywhere but production
    # Operations: Prometheus metrics, OpenTelemetry tracing, running behind PgBouncer.
    metrics_enabled: bool = True  # serve /metrics
    metrics_token: str = ""  # when set, /metrics wants "Authorization: Bearer <token>"
    metrics_allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")  # without a token: who may scrape
    worker_metrics_port: int = 0  # the worker serves its own /metrics on this port (0: off)
    worker_metrics_host: str = "127.0.0.1"
    tracing_enabled: bool = False  # OpenTelemetry spans, exported over OTLP (configured by OTEL_* variables)
    database_pgbouncer: bool = False  # transaction pooling: no statement cache, unique statement names
    database_statement_cache_size: int = 100  # asyncpg's prepared-statement cache per connection (0: off)

    @property
    def graphql_ide_enabled(self) -> bool:
        return self.graphql_ide if self.graphql_ide is not None else self.environment != "production"

    @property
    def graphql_introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return self.environment != "production"

    @property
    def github_callback_url(self) -> str:
        return f"{self.public_base_url.rstrip('/')}/auth/github/callback"

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``COHORT_*``-style environment variables."""
        load_dotenv(PROJECT_ROOT / ".env", override=False)
        d = cls()  # the defaults, so each is stated once (on the fields above)
        origins = _env("CORS_ALLOW_ORIGINS", ",".join(d.cors_allow_origins))
        return cls(
            environment=_env("COHORT_ENV", d.environment),
            debug=_env_bool("COHORT_DEBUG", d.debug),
            database_url=_env("DATABASE_URL", d.database_url),
            database_echo=_env_bool("DATABASE_ECHO", d.database_echo),
            database_pool_size=_env_int("DATABASE_POOL_SIZE", d.database_pool_size),
            database_max_overflow=_env_int("DATABASE_MAX_OVERFLOW", d.database_max_overflow),
            redis_url=_env("REDIS_URL", d.redis_url),
            secret_key=_env("SECRET_KEY", d.secret_key),
            session_cookie_secure=_env_bool("SESSION_COOKIE_SECURE", d.session_cookie_secure),
            session_max_age_seconds=_env_int("SESSION_MAX_AGE_SECONDS", d.session_max_age_seconds),
            public_base_url=_env("PUBLIC_BASE_URL", d.public_base_url),
            post_login_redirect=_env("POST_LOGIN_REDIRECT", d.post_login_redirect),
            github_client_id=_env("GITHUB_CLIENT_ID", d.github_client_id),
            github_client_secret=_env("GITHUB_CLIENT_SECRET", d.github_client_secret),
            github_oauth_base_url=_env("GITHUB_OAUTH_BASE_URL", d.github_oauth_base_url),
            github_api_base_url=_env("GITHUB_API_BASE_URL", d.github_api_base_url),
            cors_allow_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            worker_shutdown_grace_seconds=_env_int(
                "WORKER_SHUTDOWN_GRACE_SECONDS", d.worker_shutdown_grace_seconds
            ),
            api_shutdown_grace_seconds=_env_int("API_SHUTDOWN_GRACE_SECONDS", d.api_shutdown_grace_seconds),
            migrations_dir=Path(_env("COHORT_MIGRATIONS_DIR", str(d.migrations_dir))),
            emails_dir=Path(_env("COHORT_EMAILS_DIR", str(d.emails_dir))),
            log_level=_env("LOG_LEVEL", d.log_level).upper(),
            log_json=_env_bool("LOG_JSON", d.log_json),
            host=_env("HOST", d.host),
            port=_env_int("PORT", d.port),
            email_backend=_env("EMAIL_BACKEND", d.email_backend).strip().lower(),
            email_file_dir=Path(_env("EMAIL_FILE_DIR", str(d.email_file_dir))),
            email_from=_env("EMAIL_FROM", d.email_from),
            smtp_host=_env("SMTP_HOST", d.smtp_host),
            smtp_port=_env_int("SMTP_PORT", d.smtp_port),
            smtp_security=_env("SMTP_SECURITY", d.smtp_security).strip().lower(),
            smtp_username=_env("SMTP_USERNAME", d.smtp_username),
            smtp_password=_env("SMTP_PASSWORD", d.smtp_password),
            smtp_timeout_seconds=_env_float("SMTP_TIMEOUT_SECONDS", d.smtp_timeout_seconds),
            queue_name=_env("QUEUE_NAME", d.queue_name),
            job_timeout_seconds=_env_int("JOB_TIMEOUT_SECONDS", d.job_timeout_seconds),
            job_max_attempts=_env_int("JOB_MAX_ATTEMPTS", d.job_max_attempts),
            job_retry_delay_seconds=_env_float("JOB_RETRY_DELAY_SECONDS", d.job_retry_delay_seconds),
            job_retry_backoff_max_seconds=_env_float(
                "JOB_RETRY_BACKOFF_MAX_SECONDS", d.job_retry_backoff_max_seconds
            ),
            reminder_offsets_hours=_env_ints("REMINDER_OFFSETS_HOURS", d.reminder_offsets_hours),
            digest_local_time=_env("DIGEST_LOCAL_TIME", d.digest_local_time),
            digest_weekday=_env_int("DIGEST_WEEKDAY", d.digest_weekday),
            digest_default_frequency=_env("DIGEST_DEFAULT_FREQUENCY", d.digest_default_frequency).lower(),
            digest_catch_up_hours=_env_int("DIGEST_CATCH_UP_HOURS", d.digest_catch_up_hours),
            notification_batch_size=_env_int("NOTIFICATION_BATCH_SIZE", d.notification_batch_size),
            outbox_send_concurrency=_env_int("OUTBOX_SEND_CONCURRENCY", d.outbox_send_concurrency),
            outbox_retry_base_seconds=_env_float("OUTBOX_RETRY_BASE_SECONDS", d.outbox_retry_base_seconds),
            outbox_retry_max_seconds=_env_float("OUTBOX_RETRY_MAX_SECONDS", d.outbox_retry_max_seconds),
            github_app_id=_env("GITHUB_APP_ID", d.github_app_id),
            github_app_private_key=_env_private_key(d.github_app_private_key),
            github_webhook_secret=_env("GITHUB_WEBHOOK_SECRET", d.github_webhook_secret),
            github_api_token=_env("GITHUB_API_TOKEN", d.github_api_token),
            graphql_ide=_env_switch("GRAPHQL_IDE", d.graphql_ide),
            graphql_introspection=_env_switch("GRAPHQL_INTROSPECTION", d.graphql_introspection),
            metrics_enabled=_env_bool("METRICS_ENABLED", d.metrics_enabled),
            metrics_token=_env("METRICS_TOKEN", d.metrics_token),
            metrics_allowed_networks=_env_list("METRICS_ALLOWED_NETWORKS", d.metrics_allowed_networks),
            worker_metrics_port=_env_int("WORKER_METRICS_PORT", d.worker_metrics_port),
            worker_metrics_host=_env("WORKER_METRICS_HOST", d.worker_metrics_host),
            tracing_enabled=_env_bool("TRACING_ENABLED", d.tracing_enabled),
            database_pgbouncer=_env_bool("DATABASE_PGBOUNCER", d.database_pgbouncer),
            database_statement_cache_size=_env_int(
                "DATABASE_STATEMENT_CACHE_SIZE", d.database_statement_cache_size
            ),
        )

    def validate(self) -> None:
        """Refuse to run production with development secrets."""
        if self.environment == "production" and self.secret_key == DEV_SECRET_KEY:
            msg = "SECRET_KEY must be set in production"
            raise RuntimeError(msg)
        if len(self.secret_key) < 32:
            msg = "SECRET_KEY must be at least 32 characters"
            raise RuntimeError(msg)
        self.validate_notifications()

    def validate_notifications(self) -> None:
        """Refuse schedules that cannot work, at start-up rather than at the first scan."""
        problems = []
        if not self.reminder_offsets_hours or any(h <= 0 for h in self.reminder_offsets_hours):
            problems.append("REMINDER_OFFSETS_HOURS must list positive hours, e.g. 24,1")
        hour, _, minute = self.digest_local_time.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            problems.append("DIGEST_LOCAL_TIME must be HH:MM, e.g. 08:00")
        if not 1 <= self.digest_weekday <= 7:
            problems.append("DIGEST_WEEKDAY must be 1 (Monday) to 7 (Sunday)")
        if self.digest_default_frequency not in {"daily", "weekly"}:
            problems.append("DIGEST_DEFAULT_FREQUENCY must be daily or weekly")
        if self.notification_batch_size < 1 or self.outbox_send_concurrency < 1:
            problems.append("NOTIFICATION_BATCH_SIZE and OUTBOX_SEND_CONCURRENCY must be at least 1")
        if problems:
            raise RuntimeError("; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings.from_env()
