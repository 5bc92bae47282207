"""Configuration, read once from environment variables with safe defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything an operator can configure. Build it with :meth:`from_env`."""

    instance_dir: Path
    database_url: str
    processes_dir: Path
    forms_dir: Path
    reference_prefixes: Mapping[str, str] = field(default_factory=dict)
    default_reference_prefix: str = "REC"
    secret_key: str = "dev-only-change-me"
    time_zone: str = "Europe/Paris"  # how dates read on screen and in messages
    max_upload_bytes: int = 10 * 1024 * 1024
    smtp_url: str | None = None  # smtp://user:password@host:port, smtps://… ; None: no sending
    mail_from: str = "Doléance <reclamations@localhost>"
    public_url: str = "http://127.0.0.1:5000"  # base of the links written into messages
    tracking_days: int = 365  # how long a customer's tracking link stays valid

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        instance_dir = Path(env.get("DOLEANCE_INSTANCE_DIR", PROJECT_ROOT / "instance"))
        database_url = (
            env.get("DOLEANCE_DATABASE_URL") or f"sqlite:///{instance_dir / 'doleance.db'}"
        )
        return cls(
            instance_dir=instance_dir,
            database_url=database_url,
            processes_dir=Path(env.get("DOLEANCE_PROCESSES_DIR", PROJECT_ROOT / "processes")),
            forms_dir=Path(env.get("DOLEANCE_FORMS_DIR", PROJECT_ROOT / "forms")),
            reference_prefixes={"corrective_action": "CAPA"},
            default_reference_prefix=env.get("DOLEANCE_REFERENCE_PREFIX", "REC"),
            secret_key=env.get("DOLEANCE_SECRET_KEY", "dev-only-change-me"),
            time_zone=env.get("DOLEANCE_TIME_ZONE", "Europe/Paris"),
            max_upload_bytes=_megabytes(env.get("DOLEANCE_MAX_UPLOAD_MB", "10")),
            smtp_url=env.get("DOLEANCE_SMTP_URL") or None,
            mail_from=env.get("DOLEANCE_MAIL_FROM", "Doléance <reclamations@localhost>"),
            public_url=env.get("DOLEANCE_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
            tracking_days=_positive_int(
                "DOLEANCE_TRACKING_DAYS", env.get("DOLEANCE_TRACKING_DAYS", "365")
            ),
        )

    def reference_prefix(self, process_id: str) -> str:
        return self.reference_prefixes.get(process_id, self.default_reference_prefix)


def _positive_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name} must be a whole number above zero, not {text!r}")
    return value


def _megabytes(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(
            f"DOLEANCE_MAX_UPLOAD_MB must be a number of megabytes above zero, not {text!r}"
        )
    return int(value * 1024 * 1024)
