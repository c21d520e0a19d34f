"""Base classes of the request models: unknown keys ignored (RAGFlow ignores them) or kept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ragchat_gateway.request_models.fields import check_json_value, custom_error


class RequestModel(BaseModel):
    """A request body or query: declared fields are validated, unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    def given(self) -> set[str]:
        """The fields the caller sent (null included), as opposed to defaults."""
        return set(self.model_fields_set)


class OpenRequestModel(RequestModel):
    """A body whose unknown keys carry meaning (prompt variables, free-form updates): they are
    kept in ``model_extra`` and held to the limits of free-form JSON."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check_extras(self) -> OpenRequestModel:
        for key, value in (self.model_extra or {}).items():
            try:
                check_json_value({key: value})
            except ValueError as exc:  # PydanticCustomError is a ValueError
                raise custom_error(str(exc).replace("{field}", f"`{key}`")) from None
        return self

    def extras(self) -> dict[str, Any]:
        return dict(self.model_extra or {})
