"""RAGFlow v0.27.0's compiled knowledge of a dataset — artifacts (wiki pages, topics, graphs,
structures), skills, the navigation tree — and a document's structure graph (API.md §9.1).

ragchat compiles none of these, so every dataset is in the state v0.27 answers for a dataset that
has none: empty lists, null pages, nothing deleted, HEAD probes 404. Requests are checked as v0.27
checks them and the dataset (and document) must be the caller's (105 otherwise); building a
navigation tree, which would need the compiler, is refused with a clear message.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from ragchat_common.errors import InvalidArgument, NotFound, envelope
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.request_models.compiled import (
    AlterationParams,
    ArtifactListParams,
    ArtifactPageEditBody,
    GraphParams,
    NavigationBuildBody,
    NavigationParams,
    NavigationSearchParams,
    StructureGraphDeleteBody,
    StructureParams,
    TopicListParams,
)
from ragchat_gateway.routes.datasets import _require_dataset as require_dataset
from ragchat_gateway.routes.datasets import require_document

router = APIRouter()

EMPTY_PAGE: dict[str, Any] = {"total": 0, "items": []}
NOTHING_DELETED: dict[str, Any] = {"deleted": 0}


def no_alteration() -> dict[str, Any]:
    """v0.27's drift report when nothing was compiled and no document is eligible."""
    return {
        "removed": 0,
        "newly_uploaded": 0,
        "removed_doc_ids": [],
        "newly_uploaded_doc_ids": [],
        "involved_doc_ids": [],
        "eligible_doc_ids": [],
    }


# ---- artifacts ----------------------------------------------------------------------------


# Out of the OpenAPI document: a HEAD answer has no body, so no envelope to show.
@router.head("/datasets/{dataset_id}/artifacts", response_model=None, include_in_schema=False)
@router.head("/datasets/{dataset_id}/skills", response_model=None, include_in_schema=False)
async def has_compiled(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> Response:
    """The probe v0.27's UI uses to show a tab: 200 when there is something, else 404."""
    await require_dataset(backends, principal.tenant_id, dataset_id)
    raise NotFound(f"Dataset {dataset_id} has nothing compiled.")


@router.get("/datasets/{dataset_id}/artifacts")
async def list_artifact_pages(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: ArtifactListParams
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(EMPTY_PAGE))


@router.get("/datasets/{dataset_id}/artifacts/topics")
async def list_artifact_topics(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: TopicListParams
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(EMPTY_PAGE))


@router.get("/datasets/{dataset_id}/artifacts/graph")
async def artifact_graph(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: GraphParams
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope({"entities": [], "relations": []})


@router.get("/datasets/{dataset_id}/artifacts/structure")
async def dataset_structure(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: StructureParams
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope({"kind": query.kind, "templates": []})


@router.delete("/datasets/{dataset_id}/artifacts/structure")
async def delete_dataset_structure(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: StructureParams
) -> dict[str, Any]:
    """v0.27 deletes the structure's rows (none here) and answers an empty object."""
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope({})


@router.get("/datasets/{dataset_id}/artifacts/alteration")
async def artifact_alteration(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: AlterationParams
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(no_alteration())


@router.delete("/datasets/{dataset_id}/artifacts")
async def clear_artifacts(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope({"deleted": {}})


@router.get("/datasets/{dataset_id}/artifacts/{page_type}/{slug:path}")
async def get_artifact_page(
    dataset_id: str, page_type: str, slug: str, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(None)


@router.put("/datasets/{dataset_id}/artifacts/{page_type}/{slug:path}")
async def edit_artifact_page(
    dataset_id: str, page_type: str, slug: str, principal: AuthDep, backends: BackendsDep, body: ArtifactPageEditBody
) -> dict[str, Any]:
    """v0.27 answers the page as edited, or null when there is no such page (always, here)."""
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(None)


# ---- skills -------------------------------------------------------------------------------


@router.get("/datasets/{dataset_id}/skills")
async def skill_tree(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(None)


@router.delete("/datasets/{dataset_id}/skills")
async def delete_skills(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(NOTHING_DELETED))


@router.get("/datasets/{dataset_id}/skills/{skill_kwd:path}")
async def skill_page(dataset_id: str, skill_kwd: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(None)


@router.delete("/datasets/{dataset_id}/skills/{skill_kwd:path}")
async def delete_skill(dataset_id: str, skill_kwd: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(NOTHING_DELETED))


# ---- navigation ---------------------------------------------------------------------------


@router.get("/datasets/{dataset_id}/navigation")
async def navigation_roots(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: NavigationParams
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(EMPTY_PAGE))


@router.get("/datasets/{dataset_id}/navigation/search")
async def navigation_search(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: NavigationSearchParams
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope({"mode": query.mode, **EMPTY_PAGE})


@router.get("/datasets/{dataset_id}/navigation/{name:path}/children")
async def navigation_children(dataset_id: str, name: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(EMPTY_PAGE))


@router.delete("/datasets/{dataset_id}/navigation")
async def delete_navigation(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(NOTHING_DELETED))


@router.delete("/datasets/{dataset_id}/navigation/{name:path}")
async def delete_navigation_node(
    dataset_id: str, name: str, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    return envelope(dict(NOTHING_DELETED))


@router.post("/datasets/{dataset_id}/navigation")
async def build_navigation(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: NavigationBuildBody
) -> dict[str, Any]:
    await require_dataset(backends, principal.tenant_id, dataset_id)
    raise InvalidArgument("Dataset navigation trees are not supported by this server.")


# ---- a document's structure graph ---------------------------------------------------------


@router.get("/datasets/{dataset_id}/documents/{document_id}/structure/graph")
async def document_structure_graph(
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    await require_document(backends, principal.tenant_id, dataset_id, document_id)
    return envelope({"templates": []})


@router.delete("/datasets/{dataset_id}/documents/{document_id}/structure/graph")
async def delete_document_structure_graph(
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, body: StructureGraphDeleteBody
) -> dict[str, Any]:
    await require_document(backends, principal.tenant_id, dataset_id, document_id)
    return {"code": 0, "message": "deleted 0 structure graph rows", "data": dict(NOTHING_DELETED)}
