from __future__ import annotations

import pytest

from .served import serve


@pytest.fixture
def portal(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal
