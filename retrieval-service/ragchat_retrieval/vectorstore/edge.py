"""The embedded Qdrant engine (qdrant-edge): one shard directory, opened by this process only.

Its API is synchronous: single queries run on the event loop (the engine holds the GIL anyway),
other calls in a small thread pool; writes are serialised.

Index builds: qdrant-edge's `optimize()` builds the HNSW index but holds the GIL for its whole
run, which would freeze this server. So the live shard is never optimized in place. When enough
points are unindexed, the store copies the shard to a new generation directory, a child
process (`edge_optimize`) indexes the copy, writes made meanwhile are logged and replayed onto
it, and the store swaps to it. `STATE` names the generation in use; searches never stop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import qdrant_edge as q

from ragchat_retrieval.domain.ports import DENSE, SPARSE, ChunkPoint, Hit, Scope, SparseVector
from ragchat_retrieval.vectorstore.points import KEYWORD_FIELDS, chunk_id, point_id
from ragchat_retrieval.vectorstore.tuning import IndexTuning

log = logging.getLogger(__name__)


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
    def __init__(
        self,
        path: Path,
        dim: int,
        *,
        tuning: IndexTuning = IndexTuning(),
        rebuild_delay_s: float = 2.0,
        rebuild_min_unindexed: int = 2000,
    ) -> None:
        self.path = Path(path)
        self.dim = dim
        self.tuning = tuning
        self.rebuild_delay_s = rebuild_delay_s
        # Below this many unindexed points a brute-force scan is as fast as the graph.
        self.rebuild_min_unindexed = rebuild_min_unindexed
        self._shard: q.EdgeShard | None = None
        self._generation = 0
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="qdrant-edge")
        self._write_lock = threading.Lock()
        self._pending: list[q.UpdateOperation] | None = None  # writes to replay on the copy
        self._rebuild_handle: asyncio.TimerHandle | None = None
        self._rebuild_task: asyncio.Task[None] | None = None
        self._builder: asyncio.subprocess.Process | None = None
        self._rebuild_lock = asyncio.Lock()
        self.rebuilds = 0
        # Points written since the index was last built (persisted in STATE across restarts).
        self._unindexed = 0
        # The shard on disk was indexed with other HNSW settings: rebuild it once.
        self._reindex = False

    def _config(self) -> q.EdgeConfig:
        t = self.tuning
        return q.EdgeConfig(
            vectors={DENSE: q.EdgeVectorParams(size=self.dim, distance=q.Distance.Cosine)},
            sparse_vectors={SPARSE: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
            hnsw_config=q.HnswIndexConfig(
                m=t.hnsw_m,
                ef_construct=t.hnsw_ef_construct,
                full_scan_threshold=t.full_scan_threshold_kb(self.dim),
                payload_m=t.hnsw_m,
            ),
            # Off: None keeps a quantization the shard already has; searches ignore it then.
            quantization_config=(
                q.ScalarQuantizationConfig(type=q.ScalarType.Int8, quantile=t.quantile, memory=q.Memory.Cached)
                if t.quantize
                else None
            ),
            # KB of vectors above which a segment gets its graph: ~650 vectors of 384 floats.
            optimizers=q.EdgeOptimizersConfig(indexing_threshold=1_000),
            # Payloads (chunk texts) stay in the page cache: read from cold pages, the payloads of
            # a top 10 cost more than the vector search itself (measured at 100k chunks).
            payload_memory=q.Memory.Cached,
            # Queries run one at a time on the event loop, holding the GIL (see _query): a pool
            # of one saves the fan-out across segments and its thread wake-ups (measured ~0.3 ms
            # of a 100k-chunk top 10 on 2 cores).
            max_search_threads=1,
        )

    def _search_params(self, limit: int) -> q.SearchParams:
        quantization = (
            q.QuantizationSearchParams(rescore=True, oversampling=self.tuning.oversampling)
            if self.tuning.quantize
            else q.QuantizationSearchParams(ignore=True)
        )
        return q.SearchParams(hnsw_ef=self.tuning.ef(limit), quantization=quantization)

    @property
    def shard(self) -> q.EdgeShard:
        if self._shard is None:
            raise RuntimeError("vector store is not open")
        return self._shard

    def _generation_dir(self, generation: int) -> Path:
        return self.path / f"gen-{generation:06d}"

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _write(self, operation: q.UpdateOperation) -> None:
        with self._write_lock:
            self.shard.update(operation)
            if self._pending is not None:
                self._pending.append(operation)

    async def open(self) -> None:
        def _open() -> q.EdgeShard:
            self.path.mkdir(parents=True, exist_ok=True)
            state = self._read_state()
            if state:
                self._generation = int(state["generation"])
                directory = self._generation_dir(self._generation)
                settings_changed = self._stored_index_params(directory) != self._index_params()
                self._reindex = settings_changed or bool(state.get("reindex"))
                # The current settings are written to disk; the next build applies them.
                shard = q.EdgeShard.load(str(directory), self._config())
                # Unknown after a crash: count everything as unindexed.
                self._unindexed = int(state.get("unindexed", shard.info().points_count))
            else:
                self._generation = 1
                shard = q.EdgeShard.create(str(self._generation_dir(1)), self._config())
            self._write_state(unindexed=None)
            # Leftovers of a build interrupted by a crash.
            for stale in self.path.glob("gen-*"):
                if stale != self._generation_dir(self._generation):
                    shutil.rmtree(stale, ignore_errors=True)
            shard.update(q.UpdateOperation.create_field_index("tenant_id", q.KeywordIndexParams(is_tenant=True)))
            for field in KEYWORD_FIELDS:
                shard.update(q.UpdateOperation.create_field_index(field, q.PayloadSchemaType.Keyword))
            return shard

        self._shard = await self._run(_open)
        self._schedule_rebuild()  # index what an earlier run left unindexed

    def _index_params(self) -> dict[str, Any]:
        """The index settings a build applies, as the shard's edge_config.json stores them."""
        t = self.tuning
        return {
            "m": t.hnsw_m,
            "ef_construct": t.hnsw_ef_construct,
            "full_scan_threshold": t.full_scan_threshold_kb(self.dim),
            "payload_m": t.hnsw_m,
            "quantization": "int8" if t.quantize else None,
        }

    def _stored_index_params(self, directory: Path) -> dict[str, Any]:
        try:
            stored = json.loads((directory / "edge_config.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}
        hnsw = stored.get("hnsw_config") or {}
        params = {k: hnsw.get(k) for k in self._index_params()}
        # Switched off, a quantization already built stays on disk and searches ignore it.
        scalar = (stored.get("quantization_config") or {}).get("scalar") or {}
        params["quantization"] = scalar.get("type") if self.tuning.quantize else None
        return params

    def _read_state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads((self.path / "STATE").read_text())
            return state
        except FileNotFoundError:
            return {}

    def _write_state(self, unindexed: int | None) -> None:
        """`unindexed` None: not known yet (a crash before the next clean write counts all)."""
        state: dict[str, Any] = {"generation": self._generation}
        if unindexed is not None:
            state["unindexed"] = unindexed
        if self._reindex:  # remembered until a build has applied the settings
            state["reindex"] = True
        tmp = self.path / "STATE.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.path / "STATE")

    async def close(self) -> None:
        if self._rebuild_handle is not None:
            self._rebuild_handle.cancel()
        if self._builder is not None and self._builder.returncode is None:
            self._builder.kill()
        if self._rebuild_task is not None:
            await asyncio.wait([self._rebuild_task], timeout=30)
        if self._shard is not None:
            shard, self._shard = self._shard, None

            def _close() -> None:
                shard.flush()
                shard.close()
                self._write_state(self._unindexed)

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
        self._unindexed += len(edge_points)
        self._schedule_rebuild()

    async def delete(self, scope: Scope) -> None:
        await self._run(self._write, q.UpdateOperation.delete_points_by_filter(build_filter(scope)))

    async def set_payload(self, scope: Scope, payload: dict[str, Any]) -> None:
        await self._run(self._write, q.UpdateOperation.set_payload_by_filter(build_filter(scope), payload))

    # -- index builds --------------------------------------------------------------------
    def _schedule_rebuild(self) -> None:
        """Debounced: consider a build once writes have settled."""
        if self._rebuild_handle is not None:
            self._rebuild_handle.cancel()
        self._rebuild_handle = asyncio.get_running_loop().call_later(self.rebuild_delay_s, self._maybe_rebuild)

    def _maybe_rebuild(self) -> None:
        if self._shard is None or self._rebuild_lock.locked():
            return
        if self._unindexed >= self.rebuild_min_unindexed or self._reindex:
            self._rebuild_task = asyncio.ensure_future(self.rebuild())

    async def rebuild(self) -> None:
        """Index a copy in a child process, replay the writes made meanwhile, swap to it."""
        async with self._rebuild_lock:  # one build at a time
            await self._rebuild()

    async def _rebuild(self) -> None:
        target = self._generation_dir(self._generation + 1)

        def _snapshot() -> int:
            with self._write_lock:
                self.shard.flush()
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(self._generation_dir(self._generation), target)
                self._pending = []
                return self._unindexed

        def _swap() -> q.EdgeShard:
            with self._write_lock:
                fresh = q.EdgeShard.load(str(target))
                for operation in self._pending or []:
                    fresh.update(operation)
                self._pending = None
                old, self._shard = self.shard, fresh
                self._generation += 1
                self._unindexed -= copied
                self._reindex = False  # the copy was built with the current settings
                self._write_state(None)
            return old

        try:
            copied = await self._run(_snapshot)
            began = time.monotonic()
            builder = self._builder = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ragchat_retrieval.vectorstore.edge_optimize", str(target)
            )
            if await builder.wait() != 0:
                raise RuntimeError(f"index build exited with {builder.returncode}")
            old = await self._run(_swap)
            await self._run(old.close)
            shutil.rmtree(self._generation_dir(self._generation - 1), ignore_errors=True)
            self.rebuilds += 1
            log.info("vector index rebuilt", extra={"seconds": round(time.monotonic() - began, 1)})
        except Exception:
            log.exception("vector index build failed; serving the unindexed shard")
            self._pending = None
            shutil.rmtree(target, ignore_errors=True)
        finally:
            self._builder = None
        if self._shard is not None:
            self._schedule_rebuild()  # writes that arrived during the build may need another

    # -- reads ---------------------------------------------------------------------------
    def _query(self, request: q.QueryRequest) -> list[q.ScoredPoint]:
        """One engine query, run on the calling (event loop) thread. The engine holds the GIL for
        the whole query (measured: a spinning Python thread gets ~10% of its time meanwhile), so a
        worker thread would not let the loop run any sooner; it would only add two thread
        switches (~0.1-0.2 ms) to every search. Multi-call reads (scroll) still use the pool."""
        points: list[q.ScoredPoint] = self.shard.query(request)
        return points

    async def search_dense(
        self, scope: Scope, vector: Sequence[float], limit: int, *, with_payload: bool = True
    ) -> list[Hit]:
        request = q.QueryRequest(
            limit=limit,
            query=q.Query.Nearest(list(vector), using=DENSE),
            filter=build_filter(scope),
            with_payload=with_payload,
            params=self._search_params(limit),
        )
        points = self._query(request)
        return [Hit(id=chunk_id(p.id), score=p.score, payload=dict(p.payload or {})) for p in points]

    async def search_sparse(self, scope: Scope, vector: SparseVector, limit: int) -> list[Hit]:
        request = q.QueryRequest(
            limit=limit,
            query=q.Query.Nearest(q.SparseVector(indices=vector.indices, values=vector.values), using=SPARSE),
            filter=build_filter(scope),
            with_payload=False,
            with_vector=[SPARSE],
            # IDF over the chunks searched (tenant + datasets), not the whole store: scores stay
            # stable whatever other tenants index, and no statistic leaks across tenants.
            params=q.SearchParams(idf=q.IdfParams(corpus=build_filter(Scope(scope.tenant_id, scope.dataset_ids)))),
        )
        points = self._query(request)
        hits: list[Hit] = []
        for p in points:
            if p.score <= 0:
                continue
            vectors = p.vector if isinstance(p.vector, dict) else {}
            sparse = vectors.get(SPARSE)
            indices = list(sparse.indices) if isinstance(sparse, q.SparseVector) else None
            hits.append(Hit(id=chunk_id(p.id), score=p.score, payload={}, sparse_indices=indices))
        return hits

    async def terms_present(self, scope: Scope, terms: Sequence[int], limit: int) -> dict[str, set[int]]:
        # One single-term keyword query per term, run as one batch: the points it returns are
        # the points having the term. Ids only, so the cost follows the question's terms, not the
        # chunks' (reading the sparse vectors back cost the same, ~10 ms for 1,000 chunks of ~120
        # terms, and grows with chunk length). No IDF corpus: the scores are not used.
        terms = list(dict.fromkeys(terms))
        if not terms or limit <= 0:
            return {}
        selection = build_filter(scope)
        request = q.QueryBatchRequest(
            [
                q.QueryRequest(
                    limit=limit,
                    query=q.Query.Nearest(q.SparseVector(indices=[term], values=[1.0]), using=SPARSE),
                    filter=selection,
                    with_payload=False,
                    with_vector=False,
                )
                for term in terms
            ]
        )
        found: dict[str, set[int]] = {}
        for term, points in zip(terms, self.shard.query_batch(request), strict=True):
            for p in points:
                if p.score > 0:
                    found.setdefault(chunk_id(p.id), set()).add(term)
        return found

    async def scroll(self, scope: Scope, limit: int, fields: Sequence[str] | None = None) -> list[Hit]:
        selector: Any = list(fields) if fields is not None else True

        def _scroll() -> list[Hit]:
            hits: list[Hit] = []
            offset: Any = None
            while len(hits) < limit:
                records, offset = self.shard.scroll(
                    q.ScrollRequest(
                        limit=min(1000, limit - len(hits)),
                        offset=offset,
                        filter=build_filter(scope),
                        with_payload=selector,
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
