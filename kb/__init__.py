"""Knowledge-base search: passages, embeddings, a FAISS index on disk, hybrid ranking.

Articles live in the backend database (``backend.knowledge``); this package
turns them into a searchable index under ``var/kb/`` and answers queries.

Entry points:

- ``kb.search.Searcher``  — what the bot, the hub and the API call to search;
- ``kb.indexer.Indexer``  — keeps the index in step with the database
  (``sync()``, ``rebuild()``);
- ``kb.watch.Watcher``    — ``python -m kb watch``: syncs whenever the articles
  change (started by ``make run``; the one index writer while the system runs);
- ``python -m kb ...``    — the command line (rebuild, sync, watch, search, imports).

Importing ``kb`` is cheap: numpy, faiss and torch load when first needed.
"""
