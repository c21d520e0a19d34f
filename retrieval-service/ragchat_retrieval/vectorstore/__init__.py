"""Vector store adapters (domain.ports.VectorStore): embedded Qdrant edge and a Qdrant server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragchat_retrieval.domain.ports import VectorStore
from ragchat_retrieval.vectorstore.tuning import IndexTuning

if TYPE_CHECKING:  # settings take their defaults from IndexTuning
    from ragchat_retrieval.settings import RetrievalSettings


def index_tuning(settings: RetrievalSettings) -> IndexTuning:
    return IndexTuning(
        hnsw_ef=settings.hnsw_ef,
        exact_search_max_points=settings.exact_search_max_points,
        quantize=settings.vector_quantization,
        oversampling=settings.quantization_oversampling,
    )


def open_vector_store(settings: RetrievalSettings) -> VectorStore:
    tuning = index_tuning(settings)
    if settings.qdrant_url:
        from ragchat_retrieval.vectorstore.server import QdrantServerStore

        return QdrantServerStore(
            settings.embedding_dim,
            collection=settings.qdrant_collection,
            url=settings.qdrant_url,
            api_key=settings.qdrant_api_key or None,
            tuning=tuning,
        )
    from ragchat_retrieval.vectorstore.edge import EdgeStore

    return EdgeStore(
        settings.resolved_qdrant_path,
        settings.embedding_dim,
        tuning=tuning,
    )
