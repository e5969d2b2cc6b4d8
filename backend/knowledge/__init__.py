"""Knowledge base articles: curation (draft → published → archived), versions,
feedback and imports. The database is the source of truth; ``kb/`` indexes it.

This package never imports faiss, numpy or sentence-transformers.
"""
