"""Configuration: defaults overlaid with DESIGNER_* environment variables (read only here)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def load(environ: dict[str, str] | None = None) -> dict:
    """Flask config keys from the environment; every setting of the app is named here."""
    env = os.environ if environ is None else environ
    home = Path(env.get("DESIGNER_HOME", "instance")).resolve()
    upload_max = int(env.get("DESIGNER_UPLOAD_MAX_BYTES", str(200 * 1024 * 1024)))
    return {
        "DESIGNER_HOME": str(home),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DESIGNER_DATABASE_URL", f"sqlite:///{home / 'designer.db'}"
        ),
        "DESIGNER_ARTIFACTS": env.get("DESIGNER_ARTIFACTS", str(home / "artifacts")),
        "DESIGNER_EXECUTOR": env.get("DESIGNER_EXECUTOR", "local"),
        "DESIGNER_WORKERS": int(env.get("DESIGNER_WORKERS", "2")),
        "DESIGNER_MAX_CONCURRENT_RUNS": int(env.get("DESIGNER_MAX_CONCURRENT_RUNS", "2")),
        "DESIGNER_SAMPLES": env.get("DESIGNER_SAMPLES", str(ROOT / "sample_data")),
        "DESIGNER_SSE_SECONDS": float(env.get("DESIGNER_SSE_SECONDS", "25")),
        "DESIGNER_DISPATCHER": _bool(env.get("DESIGNER_DISPATCHER", "false")),
        "SECRET_KEY": env.get("DESIGNER_SECRET_KEY") or _instance_secret(home),
        "DESIGNER_TOKEN_SECONDS": int(env.get("DESIGNER_TOKEN_SECONDS", "3600")),
        "DESIGNER_ADMIN_PASSWORD": env.get("DESIGNER_ADMIN_PASSWORD", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("DESIGNER_SECURE_COOKIES", "false")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "DESIGNER_UPLOAD_MAX_BYTES": upload_max,
        "DESIGNER_UPLOAD_EXTENSIONS": tuple(
            e.strip().lower() for e in env.get(
                "DESIGNER_UPLOAD_EXTENSIONS", ".csv,.tsv,.txt,.parquet").split(",") if e.strip()),
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


def _instance_secret(home: Path) -> str:
    """A secret kept in the instance folder, so sessions survive restarts."""
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except OSError:
        home.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
