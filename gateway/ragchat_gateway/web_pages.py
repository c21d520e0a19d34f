"""Fetching a web page into a dataset (RAGFlow v0.27's ``POST /datasets/{id}/documents?type=web``).

RAGFlow prints the page to a PDF with a headless browser; ragchat has no browser, so it stores
the page as fetched (HTML, PDF, text or Markdown), which its parser reads. Like RAGFlow, it
refuses URLs that are not http(s) or that lead to a loopback, private, link-local or reserved
address (each redirect is checked too), unless the deployment allows private hosts. (The host
is resolved again to connect, so a DNS answer that changes in between is not caught.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ragchat_common.errors import InvalidArgument

URL_SHAPE = re.compile(r"https?://[-A-Za-z0-9+&@#/%?=~_|!:,.;\[\]]+[-A-Za-z0-9+&@#/%=~_|\]]")
MAX_REDIRECTS = 10
RESOLVE_TIMEOUT_S = 5.0
# The stored document's extension by the page's media type.
EXTENSIONS = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/markdown": ".md",
}


@dataclass(frozen=True)
class FetchedPage:
    data: bytes
    extension: str


def not_fetched(message: str) -> InvalidArgument:
    """The page could not be fetched (network, HTTP status, size, type). RAGFlow answers a server
    error; the cause is the URL the client gave, so ragchat answers 102 with what went wrong."""
    return InvalidArgument(message)


async def _check_host(url: str, allow_private: bool) -> None:
    """InvalidArgument when the URL is malformed or its host resolves to a non-public address."""
    if not URL_SHAPE.fullmatch(url):
        raise InvalidArgument("The URL format is invalid")
    host = urlsplit(url).hostname
    if not host:
        raise InvalidArgument("The URL format is invalid")
    if allow_private:
        return
    try:
        resolving = asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        infos = await asyncio.wait_for(resolving, RESOLVE_TIMEOUT_S)
    except (OSError, ValueError, TimeoutError):  # unknown host, a name IDNA refuses, slow DNS
        raise InvalidArgument("The URL format is invalid") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise InvalidArgument("The URL format is invalid")


async def fetch_page(url: str, *, allow_private: bool, max_bytes: int, timeout_s: float) -> FetchedPage:
    """The page at ``url`` (redirects followed, each one checked), at most ``max_bytes``."""
    await _check_host(url, allow_private)
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout_s, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                async with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        await _check_host(url, allow_private)
                        continue
                    if response.status_code != 200:
                        raise not_fetched(f"Fetching {url} answered HTTP {response.status_code}.")
                    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    extension = EXTENSIONS.get(media_type)
                    if extension is None:
                        raise not_fetched(f"The page at {url} is of type '{media_type}', which cannot be parsed.")
                    data = bytearray()
                    async for piece in response.aiter_bytes():
                        data.extend(piece)
                        if len(data) > max_bytes:
                            raise not_fetched(f"The page at {url} is larger than {max_bytes // (1024 * 1024)} MiB.")
                    if not data:
                        raise not_fetched("Download failure.")
                    return FetchedPage(bytes(data), extension)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise not_fetched(f"Failed to fetch {url}: {type(exc).__name__}") from None
    raise not_fetched(f"Fetching {url} was redirected more than {MAX_REDIRECTS} times.")
