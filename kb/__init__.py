"""Knowledge-base search: passages, embeddings, a FAISS index on disk, hybrid ranking.

Articles live in the backend database (``backend.knowledge``); this package
turns them into a searchable index under ``var/kb/`` and answers queries.

Entry points:

- ``kb.search.Searcher``  — what the bot, the hub and the API call to search;
- ``kb.indexer.Indexer``  — keeps the index in step with the database
  (``sync()`` after publish/edit/archive, ``rebuild()``);
- ``python -m kb ...``    — the command line (rebuild, sync, search, imports).

Importing ``kb`` is cheap: numpy, faiss and torch load when first needed.
"""
