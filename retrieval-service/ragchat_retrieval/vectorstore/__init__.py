"""Vector store adapters (domain.ports.VectorStore): embedded Qdrant edge and a Qdrant server."""

from __future__ import annotations

from ragchat_retrieval.domain.ports import VectorStore
from ragchat_retrieval.settings import RetrievalSettings


def open_vector_store(settings: RetrievalSettings) -> VectorStore:
    if settings.qdrant_url:
        from ragchat_retrieval.vectorstore.server import QdrantServerStore

        return QdrantServerStore(
            settings.embedding_dim,
            collection=settings.qdrant_collection,
            url=settings.qdrant_url,
            api_key=settings.qdrant_api_key or None,
            hnsw_ef=settings.hnsw_ef,
            exact_search_max_points=settings.exact_search_max_points,
        )
    from ragchat_retrieval.vectorstore.edge import EdgeStore

    return EdgeStore(
        settings.resolved_qdrant_path,
        settings.embedding_dim,
        hnsw_ef=settings.hnsw_ef,
        exact_search_max_points=settings.exact_search_max_points,
    )
