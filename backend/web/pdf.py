"""Serving the PDFs of ``backend.documents.pdf`` (the rendering lives there,
in the core, so the e-mail channel attaches the same documents)."""

from __future__ import annotations

from aiohttp import web

from backend.documents.pdf import contract_pdf, invoice_pdf, statement_pdf

__all__ = ["contract_pdf", "invoice_pdf", "response", "statement_pdf"]


def response(body: bytes, filename: str) -> web.Response:
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "document.pdf"
    return web.Response(body=body, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{safe}"', "Cache-Control": "private, no-store"})
