"""Registers every area's tables on ``Base.metadata``.

Each business area keeps its tables in ``backend/<area>/models.py``; this
module imports them all, so Alembic's env and the test fixtures need one import.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from backend.db import Base

_HERE = Path(__file__).resolve().parent

for _info in pkgutil.iter_modules([str(_HERE)]):
    if _info.ispkg and (_HERE / _info.name / "models.py").exists():
        importlib.import_module(f"backend.{_info.name}.models")

metadata = Base.metadata
