"""How both vector store adapters build and search the dense index, as data (settings fill it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexTuning:
    # m 32 lifts recall a little where the graph is used but triples the build time and doubles the
    # search time at 100k chunks (measured); small sets are scanned exactly instead (see below).
    hnsw_m: int = 16
    hnsw_ef_construct: int = 128
    # Graph search breadth for a top-10 query; a larger limit widens it to the limit. Measured on
    # 30k chunks of real text (MiniLM), graph only: recall@10 0.991 at 64, 0.998 at 128 for 1.5x
    # the time, 0.968 at 32 (bench/bench_recall_real_text.py).
    hnsw_ef: int = 64
    # Searches whose tenant/dataset/document filter leaves at most about this many chunks scan
    # them exactly instead of walking the graph: there the graph's recall is weakest (the top 10
    # of a small set reach into near-tied, barely related chunks) and a scan is cheap.
    exact_search_max_points: int = 12_000
    # An int8 copy of every dense vector, kept in RAM: the graph is walked (or a small set
    # scanned) on it, 4x less memory traffic per distance, and the best limit * oversampling
    # candidates are rescored with the full float vectors, so the scores and order returned are
    # those of the full vectors. Halves the search time at 100k chunks, recall as without it
    # (measured, bench/bench_recall_real_text.py).
    quantize: bool = True
    oversampling: float = 2.0
    # The int8 range covers this share of the vector components; the rarest outliers are clipped.
    quantile: float = 0.99

    def full_scan_threshold_kb(self, dim: int) -> int:
        """Qdrant's planner scans instead of walking the graph when a filtered search's
        cardinality is below this many KB of float vectors; the same size bounds the per-tenant
        and per-dataset graphs (payload_m)."""
        return max(1, self.exact_search_max_points * dim * 4 // 1024)

    def ef(self, limit: int) -> int:
        return max(self.hnsw_ef, limit)
