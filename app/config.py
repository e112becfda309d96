"""Configuration: defaults overlaid with DESIGNER_* environment variables (read only here)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from .engine.context import Limits

ROOT = Path(__file__).resolve().parents[1]


def _bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _limit(text: str) -> float | None:
    """A limit's value; 0 (or less) turns the limit off."""
    value = float(text)
    return value if value > 0 else None


def _json_object(name: str, text: str) -> dict:
    """A setting holding a JSON object of objects, or ValueError naming the setting."""
    try:
        value = json.loads(text or "{}")
    except ValueError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError(f"{name} must be a JSON object of objects, one per URL scheme.")
    return value


def load(environ: dict[str, str] | None = None) -> dict:
    """Flask config keys from the environment; every setting of the app is named here."""
    env = os.environ if environ is None else environ
    home = Path(env.get("DESIGNER_HOME", "instance")).resolve()
    upload_max = int(env.get("DESIGNER_UPLOAD_MAX_BYTES", str(200 * 1024 * 1024)))
    limits = Limits()
    return {
        "DESIGNER_HOME": str(home),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DESIGNER_DATABASE_URL", f"sqlite:///{home / 'designer.db'}"
        ),
        # A folder or an fsspec URL (s3://bucket/prefix) every server and worker reads.
        "DESIGNER_ARTIFACTS": env.get("DESIGNER_ARTIFACTS", str(home / "artifacts")),
        # Options of remote file systems per URL scheme, as JSON ({"s3": {"endpoint_url": ...}});
        # credentials may also come from the driver's own environment (AWS_ACCESS_KEY_ID, ...).
        "DESIGNER_STORAGE_OPTIONS": _json_object("DESIGNER_STORAGE_OPTIONS",
                                                 env.get("DESIGNER_STORAGE_OPTIONS", "{}")),
        "DESIGNER_EXECUTOR": env.get("DESIGNER_EXECUTOR", "process"),
        "DESIGNER_WORKERS": int(env.get("DESIGNER_WORKERS", "2")),
        # The dask executor's cluster: a scheduler address, or "local" for a cluster of
        # DESIGNER_WORKERS processes started with the app.
        "DESIGNER_DASK_ADDRESS": env.get("DESIGNER_DASK_ADDRESS", "local"),
        "DESIGNER_RUN_SECONDS": _limit(env.get("DESIGNER_RUN_SECONDS", str(6 * 3600))),
        "DESIGNER_STEP_SECONDS": _limit(env.get("DESIGNER_STEP_SECONDS", "3600")),
        "DESIGNER_STEP_MEMORY_MB": _limit(env.get("DESIGNER_STEP_MEMORY_MB", "4096")),
        "DESIGNER_MAX_CONCURRENT_RUNS": int(env.get("DESIGNER_MAX_CONCURRENT_RUNS", "2")),
        "DESIGNER_SAMPLES": env.get("DESIGNER_SAMPLES", str(ROOT / "sample_data")),
        "DESIGNER_SSE_SECONDS": float(env.get("DESIGNER_SSE_SECONDS", "25")),
        "DESIGNER_SSE_PER_USER": int(env.get("DESIGNER_SSE_PER_USER", "4")),
        "DESIGNER_SSE_MAX": int(env.get("DESIGNER_SSE_MAX", "16")),
        # Rows one real-time scoring request may carry (per Web Service Input).
        "DESIGNER_SCORE_MAX_ROWS": int(env.get("DESIGNER_SCORE_MAX_ROWS", "10000")),
        # Seconds between writes of the real-time request log, and days of it kept.
        "DESIGNER_REQUEST_LOG_SECONDS": float(env.get("DESIGNER_REQUEST_LOG_SECONDS", "10")),
        "DESIGNER_REQUEST_LOG_DAYS": float(env.get("DESIGNER_REQUEST_LOG_DAYS", "7")),
        "DESIGNER_DISPATCHER": _bool(env.get("DESIGNER_DISPATCHER", "false")),
        # Schedules and new-data triggers: how often the scheduler looks, and how late a fire
        # time may be seen and still count as on time (later: missed, see catch_up).
        "DESIGNER_SCHEDULER_SECONDS": float(env.get("DESIGNER_SCHEDULER_SECONDS", "5")),
        "DESIGNER_SCHEDULE_GRACE_SECONDS": float(
            env.get("DESIGNER_SCHEDULE_GRACE_SECONDS", "300")),
        # Webhooks: attempts per delivery, and the wait before the second (doubling after).
        "DESIGNER_WEBHOOK_ATTEMPTS": int(env.get("DESIGNER_WEBHOOK_ATTEMPTS", "5")),
        "DESIGNER_WEBHOOK_BACKOFF_SECONDS": float(
            env.get("DESIGNER_WEBHOOK_BACKOFF_SECONDS", "2")),
        # Seconds between looks for deliveries other processes queued (retries are timed).
        "DESIGNER_WEBHOOK_POLL_SECONDS": float(env.get("DESIGNER_WEBHOOK_POLL_SECONDS", "5")),
        # Seconds between looks for queued runs and cancel requests when no notice came.
        "DESIGNER_POLL_SECONDS": float(env.get("DESIGNER_POLL_SECONDS", "1")),
        # A run whose process has not renewed its heartbeat for this long is failed.
        "DESIGNER_STALE_SECONDS": float(env.get("DESIGNER_STALE_SECONDS", "60")),
        "SECRET_KEY": env.get("DESIGNER_SECRET_KEY") or _instance_secret(home),
        "DESIGNER_TOKEN_SECONDS": int(env.get("DESIGNER_TOKEN_SECONDS", "3600")),
        "DESIGNER_ADMIN_PASSWORD": env.get("DESIGNER_ADMIN_PASSWORD", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("DESIGNER_SECURE_COOKIES", "false")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        # Proxies in front of the app whose X-Forwarded-* headers are believed (0: none).
        "DESIGNER_TRUSTED_PROXIES": int(env.get("DESIGNER_TRUSTED_PROXIES", "0")),
        "DESIGNER_UPLOAD_MAX_BYTES": upload_max,
        "DESIGNER_UPLOAD_EXTENSIONS": tuple(
            e.strip().lower() for e in env.get(
                "DESIGNER_UPLOAD_EXTENSIONS", ".csv,.tsv,.txt,.parquet").split(",") if e.strip()),
        "DESIGNER_SQL_SECONDS": float(env.get("DESIGNER_SQL_SECONDS", limits.sql_seconds)),
        "DESIGNER_SQL_MAX_ROWS": int(env.get("DESIGNER_SQL_MAX_ROWS", limits.sql_max_rows)),
        "DESIGNER_SQL_MAX_BYTES": int(env.get("DESIGNER_SQL_MAX_BYTES", limits.sql_max_bytes)),
        # Outbound fetches (Import Data's URL source): hosts or CIDR ranges that may be private.
        "DESIGNER_OUTBOUND_ALLOW": env.get("DESIGNER_OUTBOUND_ALLOW", ""),
        "DESIGNER_OUTBOUND_MAX_BYTES": int(
            env.get("DESIGNER_OUTBOUND_MAX_BYTES", str(200 * 1024 * 1024))),
        "DESIGNER_OUTBOUND_SECONDS": float(env.get("DESIGNER_OUTBOUND_SECONDS", "30")),
        "DESIGNER_JSON_MAX_DEPTH": int(env.get("DESIGNER_JSON_MAX_DEPTH", "64")),
        # Failed sign-ins (/login) and token requests (/oauth2/token) allowed per account and
        # per client address; limits in the "N per second|minute|hour" notation.
        "DESIGNER_SIGNIN_LIMIT_ACCOUNT": env.get("DESIGNER_SIGNIN_LIMIT_ACCOUNT", "5 per minute"),
        "DESIGNER_SIGNIN_LIMIT_ADDRESS": env.get("DESIGNER_SIGNIN_LIMIT_ADDRESS",
                                                 "20 per minute"),
        # Where the counts live: memory:// (one process) or e.g. redis://host:6379.
        "RATELIMIT_STORAGE_URI": env.get("DESIGNER_RATE_LIMIT_STORAGE", "memory://"),
        # The largest request: an upload plus its multipart envelope.
        "MAX_CONTENT_LENGTH": upload_max + 1024 * 1024,
    }


def limits(config) -> Limits:
    """The limits runs, steps and modules keep to, from the app's settings."""
    memory = config["DESIGNER_STEP_MEMORY_MB"]
    return Limits(run_seconds=config["DESIGNER_RUN_SECONDS"],
                  step_seconds=config["DESIGNER_STEP_SECONDS"],
                  step_memory_mb=int(memory) if memory else None,
                  sql_seconds=config["DESIGNER_SQL_SECONDS"],
                  sql_max_rows=config["DESIGNER_SQL_MAX_ROWS"],
                  sql_max_bytes=config["DESIGNER_SQL_MAX_BYTES"])


def _instance_secret(home: Path) -> str:
    """A secret kept in the instance folder, so sessions survive restarts."""
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except OSError:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        # Created readable by its owner only: never world-readable, not even for an instant.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(key)
        return key
