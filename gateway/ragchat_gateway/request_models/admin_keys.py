"""The admin API's key requests (API.md §9.4). Unknown keys are refused: a misspelt setting on a
credential must not be silently dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from ragchat_gateway.auth.domain import MAX_TENANT_NAME
from ragchat_gateway.auth.principal import RagflowVersion, Scope
from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.fields import check_text

Limit = Annotated[int, Field(ge=0, strict=True)]
TenantName = Annotated[str, Field(min_length=1, max_length=MAX_TENANT_NAME), AfterValidator(check_text)]


class AdminRequestModel(RequestModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class KeySettings(AdminRequestModel):
    """What an operator sets on a key. On update a field left out keeps its value and null puts
    it back to its default (limits and dialect: the deployment's; scopes: full; expiry: never)."""

    rpm: Limit | None = None
    burst: Limit | None = None
    max_streams: Limit | None = None
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=8)] | None = None
    # ISO 8601 (no zone: UTC) or epoch seconds / milliseconds; or `ttl_s` from now.
    expires_at: datetime | None = None
    ttl_s: Annotated[int, Field(gt=0, strict=True)] | None = None
    ragflow_version: RagflowVersion | None = None

    def expires_at_ms(self) -> int | None:
        if self.expires_at is None:
            return None
        moment = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)


class CreateKey(KeySettings):
    tenant: TenantName


class UpdateKey(KeySettings):
    pass


class KeyListQuery(RequestModel):
    tenant: TenantName | None = None


CreateKeyBody = Annotated[CreateKey, json_body(CreateKey)]
UpdateKeyBody = Annotated[UpdateKey, json_body(UpdateKey)]
KeyListParams = Annotated[KeyListQuery, query_params(KeyListQuery)]
