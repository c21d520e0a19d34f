"""The embedded Qdrant engine (qdrant-edge): one shard directory, opened by this process only.

Its API is synchronous: calls run in a small thread pool; writes are serialised. After writes
a debounced background `optimize()` builds the HNSW index so searches stay fast as data grows.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import qdrant_edge as q

from ragchat_retrieval.domain.ports import DENSE, SPARSE, ChunkPoint, Hit, Scope, SparseVector

log = logging.getLogger(__name__)

KEYWORD_FIELDS = ("dataset_id", "document_id", "run_id")


def point_id(chunk_id: str) -> str:
    return str(uuid.UUID(hex=chunk_id))


def chunk_id(pid: Any) -> str:
    return uuid.UUID(str(pid)).hex


def build_filter(scope: Scope) -> q.Filter:
    must: list[Any] = [q.FieldCondition(key="tenant_id", match=q.MatchValue(scope.tenant_id))]
    if scope.dataset_ids:
        must.append(q.FieldCondition(key="dataset_id", match=q.MatchAny(list(scope.dataset_ids))))
    if scope.document_ids:
        must.append(q.FieldCondition(key="document_id", match=q.MatchAny(list(scope.document_ids))))
    if scope.chunk_ids:
        must.append(q.HasIdCondition({point_id(c) for c in scope.chunk_ids}))
    if scope.run_id is not None:
        must.append(q.FieldCondition(key="run_id", match=q.MatchValue(scope.run_id)))
    for key, value in scope.extra.items():
        must.append(q.FieldCondition(key=key, match=q.MatchValue(value)))
    must_not: list[Any] = []
    if scope.not_run_id is not None:
        must_not.append(q.FieldCondition(key="run_id", match=q.MatchValue(scope.not_run_id)))
    return q.Filter(must=must, must_not=must_not or None)


class EdgeStore:
    def __init__(self, path: Path, dim: int, *, hnsw_ef: int = 128, optimize_delay_s: float = 2.0) -> None:
        self.path = Path(path)
        self.dim = dim
        self.hnsw_ef = hnsw_ef
        self.optimize_delay_s = optimize_delay_s
        self._shard: q.EdgeShard | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="qdrant-edge")
        self._write_lock = threading.Lock()
        self._optimize_handle: asyncio.TimerHandle | None = None
        self._optimizing: asyncio.Future[Any] | None = None

    def _config(self) -> q.EdgeConfig:
        return q.EdgeConfig(
            vectors={DENSE: q.EdgeVectorParams(size=self.dim, distance=q.Distance.Cosine)},
            sparse_vectors={SPARSE: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
            hnsw_config=q.HnswIndexConfig(m=16, ef_construct=128, full_scan_threshold=10_000, payload_m=16),
        )

    @property
    def shard(self) -> q.EdgeShard:
        if self._shard is None:
            raise RuntimeError("vector store is not open")
        return self._shard

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _write(self, operation: q.UpdateOperation) -> None:
        with self._write_lock:
            self.shard.update(operation)

    async def open(self) -> None:
        def _open() -> q.EdgeShard:
            self.path.mkdir(parents=True, exist_ok=True)
            if any(self.path.iterdir()):
                shard = q.EdgeShard.load(str(self.path))
            else:
                shard = q.EdgeShard.create(str(self.path), self._config())
            shard.update(q.UpdateOperation.create_field_index("tenant_id", q.KeywordIndexParams(is_tenant=True)))
            for field in KEYWORD_FIELDS:
                shard.update(q.UpdateOperation.create_field_index(field, q.PayloadSchemaType.Keyword))
            return shard

        self._shard = await self._run(_open)

    async def close(self) -> None:
        if self._optimize_handle is not None:
            self._optimize_handle.cancel()
        if self._optimizing is not None:
            await asyncio.wait([self._optimizing], timeout=60)
        if self._shard is not None:
            shard, self._shard = self._shard, None

            def _close() -> None:
                shard.flush()
                shard.close()

            await self._run(_close)
        self._pool.shutdown(wait=True)

    # -- writes --------------------------------------------------------------------------
    async def upsert(self, points: Sequence[ChunkPoint]) -> None:
        if not points:
            return
        edge_points = [
            q.Point(
                id=point_id(p.id),
                vector={DENSE: list(p.dense), SPARSE: q.SparseVector(indices=p.sparse.indices, values=p.sparse.values)},
                payload=p.payload,
            )
            for p in points
        ]
        await self._run(self._write, q.UpdateOperation.upsert_points(edge_points))
        self._schedule_optimize()

    async def delete(self, scope: Scope) -> None:
        await self._run(self._write, q.UpdateOperation.delete_points_by_filter(build_filter(scope)))
        self._schedule_optimize()

    async def set_payload(self, scope: Scope, payload: dict[str, Any]) -> None:
        await self._run(self._write, q.UpdateOperation.set_payload_by_filter(build_filter(scope), payload))

    def _schedule_optimize(self) -> None:
        """Debounced: one optimize pass after writes settle (it builds HNSW for big segments)."""
        loop = asyncio.get_running_loop()
        if self._optimize_handle is not None:
            self._optimize_handle.cancel()
        self._optimize_handle = loop.call_later(self.optimize_delay_s, self._start_optimize)

    def _start_optimize(self) -> None:
        if self._optimizing is not None and not self._optimizing.done():
            self._schedule_optimize()
            return
        self._optimizing = asyncio.ensure_future(self.optimize())

    async def optimize(self) -> None:
        def _optimize() -> None:
            with self._write_lock:
                self.shard.optimize()

        try:
            await self._run(_optimize)
        except Exception:
            log.exception("vector store optimize failed")

    # -- reads ---------------------------------------------------------------------------
    async def search_dense(self, scope: Scope, vector: Sequence[float], limit: int) -> list[Hit]:
        request = q.QueryRequest(
            limit=limit,
            query=q.Query.Nearest(list(vector), using=DENSE),
            filter=build_filter(scope),
            with_payload=True,
            params=q.SearchParams(hnsw_ef=max(self.hnsw_ef, limit)),
        )
        points = await self._run(self.shard.query, request)
        return [Hit(id=chunk_id(p.id), score=p.score, payload=dict(p.payload or {})) for p in points]

    async def search_sparse(self, scope: Scope, vector: SparseVector, limit: int) -> list[Hit]:
        request = q.QueryRequest(
            limit=limit,
            query=q.Query.Nearest(q.SparseVector(indices=vector.indices, values=vector.values), using=SPARSE),
            filter=build_filter(scope),
            with_payload=True,
            with_vector=[DENSE],
            # IDF over the chunks searched (tenant + datasets), not the whole store: scores stay
            # stable whatever other tenants index, and no statistic leaks across tenants.
            params=q.SearchParams(idf=q.IdfParams(corpus=build_filter(Scope(scope.tenant_id, scope.dataset_ids)))),
        )
        points = await self._run(self.shard.query, request)
        hits: list[Hit] = []
        for p in points:
            if p.score <= 0:
                continue
            vectors = p.vector if isinstance(p.vector, dict) else {}
            dense = vectors.get(DENSE)
            hits.append(Hit(id=chunk_id(p.id), score=p.score, payload=dict(p.payload or {}), dense=dense))
        return hits

    async def scroll(self, scope: Scope, limit: int) -> list[Hit]:
        def _scroll() -> list[Hit]:
            hits: list[Hit] = []
            offset: Any = None
            while len(hits) < limit:
                records, offset = self.shard.scroll(
                    q.ScrollRequest(
                        limit=min(1000, limit - len(hits)), offset=offset, filter=build_filter(scope), with_payload=True
                    )
                )
                hits.extend(Hit(id=chunk_id(r.id), score=0.0, payload=dict(r.payload or {})) for r in records)
                if offset is None or not records:
                    break
            return hits

        result: list[Hit] = await self._run(_scroll)
        return result

    async def count(self, scope: Scope) -> int:
        n: int = await self._run(self.shard.count, q.CountRequest(filter=build_filter(scope), exact=True))
        return n
