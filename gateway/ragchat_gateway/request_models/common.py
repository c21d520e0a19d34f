"""Shapes every collection shares: list queries (API.md §3 `GET /chats`) and bulk deletes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ragchat_common.paging import PAGE_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.fields import (
    Id,
    IdList,
    LenientBool,
    Name,
)

Page = Annotated[int, Field(ge=1, le=PAGE_MAX)]
PageSize = Annotated[int, Field(ge=1, le=PAGE_SIZE_MAX)]
OrderBy = Literal["create_time", "update_time", "name"]


class Paging(RequestModel):
    """``page`` (1-based) and ``page_size`` (1..1000), as every list takes them."""

    page: Page = 1
    page_size: PageSize = PAGE_SIZE_DEFAULT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class ListQuery(Paging):
    """page, page_size, orderby, desc (true/false/1/0, any case), and the exact filters id, name."""

    orderby: OrderBy = "create_time"
    desc: LenientBool = True
    id: Id | None = None
    name: Name | None = None

    def filters(self) -> dict[str, str]:
        """The filters given, by name (for the list request of the service)."""
        return {key: value for key, value in self.model_dump(include=self.filter_names()).items() if value}

    @classmethod
    def filter_names(cls) -> set[str]:
        return set(cls.model_fields) - set(ListQuery.model_fields) | {"id", "name"}


class DeleteBody(RequestModel):
    """``{"ids": [...], "delete_all": bool}``: what may be deleted is the domain's rule
    (``ragchat_common.bulk_delete``), so empty ids reach it and are answered there."""

    ids: IdList | None = None
    delete_all: LenientBool = False

    def id_list(self) -> list[str]:
        return list(self.ids or [])
