"""Secrets that processes on one machine share without anyone typing them:
from the environment when set, else a file under the var folder, made once
(mode 0600) by whichever process gets there first."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path


def shared_secret(path: Path, env_name: str, env: Mapping[str, str] | None = None) -> str:
    """``$env_name``, else the token in ``path`` (created on first use)."""
    env = os.environ if env is None else env
    if env.get(env_name):
        return env[env_name]
    for _ in range(3):
        try:
            token = path.read_text().strip()
            if token:
                return token
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        try:  # the first process to get here writes it; the others read what it wrote
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        return token
    raise RuntimeError(f"{path} is empty; delete it or set {env_name}")
