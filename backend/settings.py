"""Settings read from the environment once, by the composition root."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_var_dir() -> Path:
    return Path(os.environ.get("VAR_DIR", ROOT / "var"))


@dataclass(frozen=True)
class Settings:
    var_dir: Path = field(default_factory=_default_var_dir)
    database_url: str = ""
    secret_key: str = "dev-only-secret-change-me"
    upload_max_bytes: int = 5 * 1024 * 1024
    upload_types: tuple[str, ...] = ("image/jpeg", "image/png", "application/pdf")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    currency: str = "INR"

    @property
    def upload_dir(self) -> Path:
        return self.var_dir / "uploads"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("VAR_DIR", ROOT / "var"))
        return cls(
            var_dir=var_dir,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'fieldserv.sqlite3'}",
            secret_key=env.get("SECRET_KEY", cls.secret_key),
            upload_max_bytes=int(env.get("UPLOAD_MAX_BYTES", cls.upload_max_bytes)),
            api_host=env.get("API_HOST", cls.api_host),
            api_port=int(env.get("API_PORT", cls.api_port)),
            currency=env.get("CURRENCY", cls.currency),
        )
