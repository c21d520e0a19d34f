"""Unit tests of the upload batching, image types and the web page URL checks."""

from __future__ import annotations

import io

import pytest
from starlette.datastructures import UploadFile

from ragchat_common.errors import InvalidArgument
from ragchat_gateway.routes.datasets import UPLOAD_BATCH_BYTES, upload_batches
from ragchat_gateway.routes.documents_v027 import image_media_type
from ragchat_gateway.web_pages import fetch_page


def _file(size: int) -> UploadFile:
    return UploadFile(io.BytesIO(b""), size=size, filename=f"f{size}.txt")


def test_uploads_go_in_as_few_batches_as_the_byte_budget_allows() -> None:
    assert upload_batches([]) == []
    small = [_file(0) for _ in range(1000)]
    assert [len(b) for b in upload_batches(small)] == [1000]
    half = UPLOAD_BATCH_BYTES // 2
    files = [_file(half), _file(half), _file(1), _file(UPLOAD_BATCH_BYTES * 2), _file(0)]
    batches = upload_batches(files)
    assert [[f.size for f in b] for b in batches] == [[half, half], [1], [UPLOAD_BATCH_BYTES * 2], [0]]
    assert [f for b in batches for f in b] == files  # order kept


def test_image_media_type_from_the_first_bytes() -> None:
    assert image_media_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert image_media_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert image_media_type(b"GIF89a...") == "image/gif"
    assert image_media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_media_type(b"something") == "image/jpeg"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a",
        "example.com",
        "http://",
        "http://127.0.0.1/a",
        "http://[::1]/a",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.1/",
        "http://localhost:8080/",
        "http://0.0.0.0/",
    ],
)
async def test_urls_that_are_not_public_http_are_refused(url: str) -> None:
    with pytest.raises(InvalidArgument, match="The URL format is invalid"):
        await fetch_page(url, allow_private=False, max_bytes=1024, timeout_s=1)
