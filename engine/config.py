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
        )

    def reference_prefix(self, process_id: str) -> str:
        return self.reference_prefixes.get(process_id, self.default_reference_prefix)
