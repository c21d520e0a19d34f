"""The one settings class of retrieval-service and its ingest worker (env prefix RAGCHAT_)."""

from __future__ import annotations

from pathlib import Path

from ragchat_common.search_defaults import SEARCH_DEFAULTS
from ragchat_common.settings import GrpcServiceSettings, names_list
from ragchat_retrieval.vectorstore.tuning import IndexTuning


class RetrievalSettings(GrpcServiceSettings):
    service_name: str = "retrieval-service"
    grpc_port: int = 50053

    # Local state (the embedded vector engine lives under it unless QDRANT_PATH says otherwise).
    state_dir: str = ".ragchat"
    # Empty: the embedded Qdrant engine (qdrant-edge) at qdrant_path; else a Qdrant server URL.
    qdrant_url: str = ""
    qdrant_path: str = ""
    qdrant_api_key: str = ""
    qdrant_collection: str = "ragchat_chunks"

    # Empty: the local ONNX MiniLM; else an OpenAI-compatible server with /v1/embeddings.
    embedding_base_url: str = ""
    embedding_api_key: str = ""
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_dim: int = 384
    embedding_batch_size: int = 32
    embedding_timeout_s: float = 30.0
    # ONNX runtime threads per process (the machine is shared; keep it small).
    embedding_threads: int = 1
    # Texts whose vectors the service keeps (~1.5 KB each at 384 dimensions): citing answers
    # embeds the sentences of the chunks they drew on, which recur. 0 keeps none.
    embedding_cache_texts: int = 20_000

    # Rerank models: an HTTP server with the /rerank API of TEI, vLLM, Jina and Cohere, and the
    # model names (comma-separated) a chat's rerank_model or a retrieval's rerank_id may choose.
    # Empty: no reranking (a request naming a model is refused with 102).
    rerank_base_url: str = ""
    rerank_api_key: str = ""
    rerank_models: str = ""
    rerank_timeout_s: float = 10.0

    # Per uploaded file; larger files are refused with 413 / code 102.
    max_upload_bytes: int = 50 * 1024 * 1024

    # Ingestion (Celery). The queue name is prefixed with `namespace`.
    ingest_concurrency: int = 2
    ingest_index_batch: int = 64
    # Seconds a parse task may run before it is failed (never a stuck RUNNING).
    ingest_task_time_limit_s: int = 1800

    # Search defaults when the caller sends 0.
    default_top_k: int = SEARCH_DEFAULTS.top_k
    default_top_n: int = SEARCH_DEFAULTS.top_n
    # HNSW search breadth for a top-10 query (higher: better recall, slower); a larger top_k
    # widens it to top_k.
    hnsw_ef: int = IndexTuning.hnsw_ef
    # Searches whose tenant/dataset/document filter leaves at most about this many chunks scan
    # them exactly instead of walking the graph (exact recall where HNSW is weakest).
    exact_search_max_points: int = IndexTuning.exact_search_max_points
    # An int8 copy of the dense vectors in RAM (+25% memory) that searches run on; the best
    # top_k x oversampling candidates are rescored with the full vectors. Changing it rebuilds
    # the embedded index once.
    vector_quantization: bool = IndexTuning.quantize
    quantization_oversampling: float = IndexTuning.oversampling

    @property
    def rerank_model_names(self) -> tuple[str, ...]:
        return names_list(self.rerank_models)

    @property
    def resolved_qdrant_path(self) -> Path:
        return Path(self.qdrant_path) if self.qdrant_path else Path(self.state_dir) / "qdrant"

    @property
    def ingest_queue(self) -> str:
        return f"{self.namespace}.ingest"
