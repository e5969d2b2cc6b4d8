"""What a trained component keeps in the Rasa model: one JSON file in its own resource folder."""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def save_json(storage: ModelStorage, resource: Resource, name: str, data: Any) -> None:
    with storage.write_to(resource) as folder:
        (folder / name).write_text(json.dumps(data, sort_keys=True), encoding="utf-8")


def load_json(storage: ModelStorage, resource: Resource, name: str) -> Any:
    with storage.read_from(resource) as folder:
        return json.loads((folder / name).read_text(encoding="utf-8"))
