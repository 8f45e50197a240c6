"""Settings read from the environment, in one place so every entry point agrees."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///instance/jiandu.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    workflows_path: Path = PROJECT_ROOT / "workflows"
    max_bpmn_bytes: int = 2 * 1024 * 1024
    max_form_bytes: int = 512 * 1024
    script_time_limit: float = 0.5
    attachment_max_bytes: int = 20 * 1024 * 1024
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "jiandu@localhost"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = os.environ
        values = dict(
            database_url=env.get("JIANDU_DATABASE_URL", DEFAULT_DATABASE_URL),
            instance_path=Path(env.get("JIANDU_INSTANCE_PATH", "instance")).resolve(),
            smtp_host=env.get("JIANDU_SMTP_HOST") or None,
            smtp_port=int(env.get("JIANDU_SMTP_PORT", "25")),
            mail_from=env.get("JIANDU_MAIL_FROM", "jiandu@localhost"),
        )
        values.update(overrides)
        return cls(**values)


def secret_key(instance_path: Path) -> str:
    """The web secret: `JIANDU_SECRET_KEY`, else one generated once into the instance folder (never a constant)."""
    from_env = os.environ.get("JIANDU_SECRET_KEY")
    if from_env:
        return from_env
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
