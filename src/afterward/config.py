"""Settings from the environment (AFTERWARD_*); a secret may come from NAME_FILE."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "AFTERWARD_"


def env_str(name: str, default: str = "") -> str:
    """Read AFTERWARD_<name>, or the contents of the file named by AFTERWARD_<name>_FILE."""
    file_path = os.environ.get(f"{PREFIX}{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(f"{PREFIX}{name}", default)


def env_int(name: str, default: int) -> int:
    raw = env_str(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{name} must be an integer, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{PREFIX}{name} must be a boolean, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./afterward.db"
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    public_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""
    sms_url: str = ""
    # Outbound HTTP (webhook endpoints, the SMS provider) may reach loopback, private,
    # link-local and metadata addresses only when this is on (stand-ins, a LAN relay).
    allow_private_urls: bool = False
    # Session cookies are marked Secure unless the public URL is plain http.
    secure_cookies: bool = False
    max_body_bytes: int = 1024 * 1024
    job_lease_seconds: int = 60
    job_max_attempts: int = 8
    # On SIGTERM, in-flight requests and jobs get this long to finish, then go.
    shutdown_grace_seconds: int = 10
    plugins: tuple[str, ...] = ()
    log_level: str = "info"
    # The assistant's optional rephrasing by an OpenAI-compatible chat server
    # (assistant/rephrase.py): off while the base URL is empty.
    assistant_rephrase_url: str = ""
    assistant_rephrase_model: str = ""
    assistant_rephrase_key: str = ""
    assistant_rephrase_timeout_ms: int = 3000

    @classmethod
    def from_env(cls) -> Settings:
        public_url = env_str("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        secret = env_str("SECRET_KEY", "") or _persistent_dev_secret()
        plugins = tuple(p.strip() for p in env_str("PLUGINS", "").split(",") if p.strip())
        return cls(
            database_url=env_str("DATABASE_URL", "sqlite:///./afterward.db"),
            secret_key=secret,
            public_url=public_url,
            smtp_url=env_str("SMTP_URL", ""),
            sms_url=env_str("SMS_URL", ""),
            allow_private_urls=env_bool("ALLOW_PRIVATE_URLS", False),
            secure_cookies=env_bool("SECURE_COOKIES", public_url.startswith("https://")),
            max_body_bytes=env_int("MAX_BODY_BYTES", 1024 * 1024),
            job_lease_seconds=env_int("JOB_LEASE_SECONDS", 60),
            job_max_attempts=env_int("JOB_MAX_ATTEMPTS", 8),
            shutdown_grace_seconds=env_int("SHUTDOWN_GRACE_SECONDS", 10),
            plugins=plugins,
            log_level=env_str("LOG_LEVEL", "info"),
            assistant_rephrase_url=env_str("ASSISTANT_REPHRASE_URL", ""),
            assistant_rephrase_model=env_str("ASSISTANT_REPHRASE_MODEL", ""),
            assistant_rephrase_key=env_str("ASSISTANT_REPHRASE_KEY", ""),
            assistant_rephrase_timeout_ms=env_int("ASSISTANT_REPHRASE_TIMEOUT_MS", 3000),
        )


def _persistent_dev_secret() -> str:
    """Without AFTERWARD_SECRET_KEY, keep one random key per working directory so
    sessions survive a restart of the demo; production sets the variable."""
    path = Path(".afterward-secret")
    try:
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        value = secrets.token_urlsafe(32)
        path.write_text(value, encoding="utf-8")
        path.chmod(0o600)
        return value
    except OSError:
        return secrets.token_urlsafe(32)
