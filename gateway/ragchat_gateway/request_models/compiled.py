"""RAGFlow v0.27.0's compiled-knowledge routes of a dataset (artifacts, skills, navigation) and a
document's structure graph: what they take, checked as v0.27 checks it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator, model_validator

from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.common import Paging
from ragchat_gateway.request_models.fields import IdsParam, LenientBool, Text, custom_error

# v0.27's names of the dataset-wide structures, and their aliases.
STRUCTURE_KINDS = {
    "graph": "graph",
    "knowledge_graph": "graph",
    "mindmap": "mindmap",
    "mind_map": "mindmap",
    "timeline": "timeline",
    "session_essence": "session_essence",
    "session_graph": "session_graph",
}
STRUCTURE_KIND_LIST = "graph, mindmap, timeline, session_essence, session_graph"
ALTERATION_KINDS = ("wiki", "graph", "mindmap", "timeline", "tree")
NAVIGATION_SEARCH_MODES = ("chunk", "nav_doc", "nav_cluster", "navigation_tree", "all")


def _positive_int(value: Any) -> int | None:
    """v0.27 reads ``top_k`` as an integer of at least 1 (smaller ones count as 1)."""
    if value is None:
        return None
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        raise custom_error("top_k must be a positive integer") from None


class ArtifactListQuery(Paging):
    page_type: Text | None = None
    topic: Text | None = None
    keywords: Text | None = None


class TopicListQuery(Paging):
    keywords: Text | None = None


class StructureQuery(RequestModel):
    """``?kind=`` of ``.../artifacts/structure`` (and ``wipe`` for DELETE, true by default)."""

    kind: Text | None = None
    keywords: Text | None = None
    wipe: LenientBool = True

    @model_validator(mode="after")
    def _known(self) -> StructureQuery:
        if not self.kind:
            raise custom_error(f"`kind` is required (one of: {STRUCTURE_KIND_LIST}).")
        if self.kind.lower().replace("-", "_") not in STRUCTURE_KINDS:
            raise custom_error(f"Unsupported structure kind: {self.kind!r}. Expected one of: {STRUCTURE_KIND_LIST}.")
        return self


class AlterationQuery(RequestModel):
    kind: Text = "wiki"

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        value = value.strip().lower() or "wiki"
        if value not in ALTERATION_KINDS:
            raise custom_error(f"Unsupported kind: {value!r}. Expected one of: {', '.join(ALTERATION_KINDS)}.")
        return value


class GraphQuery(RequestModel):
    node: Text | None = None
    keywords: Text | None = None
    top_n: Any = None


class NavigationQuery(RequestModel):
    keywords: Text | None = None
    top_k: Any = None

    _top_k = field_validator("top_k")(_positive_int)


class NavigationSearchQuery(RequestModel):
    q: Text | None = None
    mode: Text = "nav_doc"
    top_k: Any = None
    doc_ids: IdsParam | None = None

    _top_k = field_validator("top_k")(_positive_int)

    @model_validator(mode="after")
    def _known_mode(self) -> NavigationSearchQuery:
        # v0.27 answers an empty question before it looks at the mode.
        if (self.q or "").strip() and self.mode not in NAVIGATION_SEARCH_MODES:
            raise custom_error(f"unknown mode: {self.mode}, expected one of {list(NAVIGATION_SEARCH_MODES)}")
        return self


class ArtifactPageEdit(RequestModel):
    """``PUT .../artifacts/{page_type}/{slug}``: ``{"content_md": "...", "title"?, "comments"?}``."""

    content_md: Any = None
    title: Any = None
    comments: Any = None

    @model_validator(mode="after")
    def _strings(self) -> ArtifactPageEdit:
        if not isinstance(self.content_md, str):
            raise custom_error("'content_md' must be a string.")
        for name in ("title", "comments"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise custom_error(f"'{name}' must be a string.")
        return self


class NavigationBuild(RequestModel):
    """``POST .../navigation``: optional ``documents`` [{doc_id, summary, ...}]."""

    documents: list[dict[str, Any]] | None = None


class StructureGraphDelete(RequestModel):
    """``DELETE .../documents/{id}/structure/graph``: ``{"template_id": "..."}``."""

    template_id: Any = None

    @model_validator(mode="after")
    def _named(self) -> StructureGraphDelete:
        if not str(self.template_id or "").strip():
            raise custom_error("`template_id` is required")
        template = str(self.template_id).strip()
        if template.startswith("legacy:") and not template[len("legacy:") :].strip():
            raise custom_error("`template_id` is invalid")
        return self


ArtifactListParams = Annotated[ArtifactListQuery, query_params(ArtifactListQuery)]
TopicListParams = Annotated[TopicListQuery, query_params(TopicListQuery)]
StructureParams = Annotated[StructureQuery, query_params(StructureQuery)]
AlterationParams = Annotated[AlterationQuery, query_params(AlterationQuery)]
GraphParams = Annotated[GraphQuery, query_params(GraphQuery)]
NavigationParams = Annotated[NavigationQuery, query_params(NavigationQuery)]
NavigationSearchParams = Annotated[NavigationSearchQuery, query_params(NavigationSearchQuery)]
ArtifactPageEditBody = Annotated[ArtifactPageEdit, json_body(ArtifactPageEdit)]
NavigationBuildBody = Annotated[NavigationBuild, json_body(NavigationBuild)]
StructureGraphDeleteBody = Annotated[StructureGraphDelete, json_body(StructureGraphDelete)]
