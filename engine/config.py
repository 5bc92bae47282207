"""Configuration, read once from environment variables with safe defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MEGABYTE = 1024 * 1024
#: The languages Doléance speaks: of its screens (each needs a catalogue in
#: webui/translations), of published policy texts and form labels, and of the messages
#: customers get (each needs its templates). The first is the default.
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]


@dataclass(frozen=True)
class ScriptLimits:
    """What one piece of diagram code (a condition, a script, a timer or decision-table
    expression) may take before it is stopped and its action rolled back."""

    seconds: float = 2.0
    memory_bytes: int = 256 * MEGABYTE
    idle_workers: int = 2  # worker processes kept ready for code that needs limits

    @property
    def result_bytes(self) -> int:
        """The most data diagram code may hand back to the engine (a sixteenth of its memory)."""
        return self.memory_bytes // 16


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
    page_size: int = 50  # rows per page of every list on screen (inbox, outbox, search)
    script_limits: ScriptLimits = ScriptLimits()

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
            max_upload_bytes=_megabytes(
                "DOLEANCE_MAX_UPLOAD_MB", env.get("DOLEANCE_MAX_UPLOAD_MB", "10")
            ),
            smtp_url=env.get("DOLEANCE_SMTP_URL") or None,
            mail_from=env.get("DOLEANCE_MAIL_FROM", "Doléance <reclamations@localhost>"),
            public_url=env.get("DOLEANCE_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
            tracking_days=_positive_int(
                "DOLEANCE_TRACKING_DAYS", env.get("DOLEANCE_TRACKING_DAYS", "365")
            ),
            page_size=_positive_int("DOLEANCE_PAGE_SIZE", env.get("DOLEANCE_PAGE_SIZE", "50")),
            script_limits=ScriptLimits(
                seconds=_positive_number(
                    "DOLEANCE_SCRIPT_SECONDS", env.get("DOLEANCE_SCRIPT_SECONDS", "2"), "seconds"
                ),
                memory_bytes=_megabytes(
                    "DOLEANCE_SCRIPT_MEMORY_MB", env.get("DOLEANCE_SCRIPT_MEMORY_MB", "256")
                ),
                idle_workers=_positive_int(
                    "DOLEANCE_SCRIPT_WORKERS", env.get("DOLEANCE_SCRIPT_WORKERS", "2")
                ),
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
        raise ConfigurationError(f"{name} must be a whole number above zero, not {text!r}")
    return value


def _positive_number(name: str, text: str, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):
        raise ConfigurationError(f"{name} must be a number of {unit} above zero, not {text!r}")
    return value


def _megabytes(name: str, text: str) -> int:
    return int(_positive_number(name, text, "megabytes") * MEGABYTE)
