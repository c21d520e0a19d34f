"""The one home of page validation (API.md §3 `GET /chats`): every list of every service pages
with these bounds and these messages, and the gateway's request models declare the same ones."""

from __future__ import annotations

from ragchat_common.errors import InvalidArgument

PAGE_MAX = 2**31 - 1  # fits the int32 of the internal protos
PAGE_SIZE_MAX = 1000
PAGE_SIZE_DEFAULT = 30


def page_window(
    page: int,
    page_size: int,
    *,
    max_page_size: int = PAGE_SIZE_MAX,
    default_size: int = PAGE_SIZE_DEFAULT,
    zero_is_default: bool = True,
) -> tuple[int, int]:
    """(skip, limit) of a 1-based page; 0 means the default (proto3's unset) unless
    ``zero_is_default`` is off; out of range → InvalidArgument naming the parameter and its bounds."""
    if zero_is_default:
        page = page or 1
        page_size = page_size or default_size
    if not 1 <= page <= PAGE_MAX:
        raise InvalidArgument(f"`page` should be an integer between 1 and {PAGE_MAX}.")
    if not 1 <= page_size <= max_page_size:
        raise InvalidArgument(f"`page_size` should be an integer between 1 and {max_page_size}.")
    return (page - 1) * page_size, page_size
