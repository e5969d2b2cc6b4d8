"""Reading one file from a multipart/form-data upload, within the size limit."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from backend.errors import DomainError, ErrorCode

CHUNK = 64 * 1024
FORM_OVERHEAD = 16 * 1024  # boundaries and part headers around the file


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def too_large(limit: int) -> DomainError:
    return DomainError(ErrorCode.UPLOAD_TOO_LARGE, f"the file is larger than {limit // 1024} KB", limit=limit)


async def read_upload(request: web.Request, *, field: str, max_bytes: int) -> Upload:
    """The one file in form field ``field``; refuses other fields, several
    files, and anything over ``max_bytes`` without reading it all."""
    if not request.content_type.startswith("multipart/form-data"):
        raise DomainError(ErrorCode.UPLOAD_TYPE, "send the file as multipart/form-data", field=field)
    if request.content_length is not None and request.content_length > max_bytes + FORM_OVERHEAD:
        raise too_large(max_bytes)
    try:
        reader = await request.multipart()
        found: Upload | None = None
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name != field:
                raise DomainError(ErrorCode.INVALID_INPUT, f"{part.name or 'a part'}: is not a known field",
                                  field=part.name or "")
            if found is not None:
                raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: send one file at a time", field=field)
            data = bytearray()
            while chunk := await part.read_chunk(CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise too_large(max_bytes)
            content_type = (part.headers.get("Content-Type") or "application/octet-stream").split(";")[0].strip()
            found = Upload(part.filename or "bill", content_type.lower(), bytes(data))
    except (HttpProcessingError, ValueError, AssertionError, RuntimeError) as exc:  # a broken multipart body
        raise DomainError(ErrorCode.MALFORMED, f"the multipart body is malformed: {exc}") from None
    if found is None:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: is required", field=field)
    return found
