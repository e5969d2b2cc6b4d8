"""With the real sentence encoder: a proposed article is not in the search
index that the bot and the console search, whatever the audience, until the
curator publishes it; then one sync brings it in."""

from __future__ import annotations

import pytest

from backend.knowledge import proposals as kbp
from backend.knowledge import service as kb
from kb.encoder import MiniLMEncoder
from kb.indexer import Indexer
from kb.search import Searcher
from tests.factories import build_world

pytestmark = pytest.mark.model
QUESTION = "how do I descale the Zephyr steam iron"


def slugs(searcher: Searcher, audience: str) -> list[str]:
    searcher.refresh(force=True)
    return [h.slug for h in searcher.search(QUESTION, audience=audience).hits]


def test_a_proposal_reaches_the_index_only_when_published(uow, tmp_path):
    w = build_world(uow)
    encoder = MiniLMEncoder()
    kb.create_article(uow, w.admin, slug="ac-filter", title="Cleaning the AC filter", publish=True,
                      body="Switch the AC off. Slide the filters out, wash them in lukewarm water, dry them in shade.")
    p = kbp.propose_article(uow, w.agent, title="Descaling the Zephyr steam iron",
                            body="Fill the Zephyr tank with citric acid solution, heat it, press the anti-calc "
                                 "button over the sink, then rinse twice.")
    indexer, searcher = Indexer(tmp_path / "kb", encoder, uow), Searcher(tmp_path / "kb", encoder)
    indexer.sync()
    assert p.slug not in slugs(searcher, "agent") and p.slug not in slugs(searcher, "customer")

    kbp.publish_proposal(uow, w.admin, proposal_id=p.id)
    report = indexer.sync()
    assert len(report.added) == 1
    assert slugs(searcher, "customer")[0] == p.slug
