"""Knowledge-base fixtures: actors, a fake encoder, an index folder, article factories.

``uow`` (a fresh migrated SQLite database) comes from tests/conftest.py.
"""

from __future__ import annotations

import pytest

from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.knowledge import service
from kb.encoder import HashingEncoder


@pytest.fixture
def admin() -> Actor:
    return Actor(Role.ADMIN, None, None, "admin", "test")


@pytest.fixture
def agent() -> Actor:
    return Actor(Role.AGENT, None, None, "agent", "test")


@pytest.fixture
def customer() -> Actor:
    return Actor(Role.CUSTOMER, None, None, "customer", "test")


@pytest.fixture
def encoder() -> HashingEncoder:
    return HashingEncoder(64)


@pytest.fixture
def index_dir(tmp_path):
    return tmp_path / "kb"


ARTICLES = {
    "washer-errors": dict(
        title="Washing machine error codes",
        body="## E3 door not locked\nClose the door firmly until it clicks; clothes caught in the door seal "
             "stop the lock.\n\n## E2 water not draining\nClean the drain pump filter at the bottom front.",
        tags=["washing-machine", "error-codes"],
    ),
    "ac-cooling": dict(
        title="AC not cooling",
        body="Set cool mode at 24 degrees. Clean the air filters every two weeks. Keep the outdoor unit clear.",
        tags=["air-conditioner"],
    ),
    "fridge-noise": dict(
        title="Refrigerator noises",
        body="A hum from the compressor and gurgling refrigerant are normal refrigerator sounds.",
        tags=["refrigerator"],
    ),
    "booking-hi": dict(
        title="सर्विस विज़िट कैसे बुक करें",
        body="चैट में सर्विस बुक करें लिखें और टेक्नीशियन की विज़िट बुक करें।",
        tags=["booking"],
        language="hi",
    ),
}


@pytest.fixture
def make_article(uow, admin):
    def make(key: str, *, publish: bool = True, **changes):
        fields = {**ARTICLES[key], **changes}
        return service.create_article(uow, admin, slug=changes.pop("slug", key), publish=publish,
                                      **{k: v for k, v in fields.items() if k != "slug"})
    return make
