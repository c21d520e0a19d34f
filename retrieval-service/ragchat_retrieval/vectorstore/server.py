"""A Qdrant server (or qdrant-client's local mode, for tests) through qdrant-client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qdrant_client import AsyncQdrantClient, models

from ragchat_common.errors import Unavailable
from ragchat_retrieval.domain.ports import DENSE, SPARSE, ChunkPoint, Hit, Scope, SparseVector
from ragchat_retrieval.vectorstore.points import KEYWORD_FIELDS, chunk_id, point_id
from ragchat_retrieval.vectorstore.tuning import IndexTuning


def build_filter(scope: Scope) -> models.Filter:
    must: list[Any] = [models.FieldCondition(key="tenant_id", match=models.MatchValue(value=scope.tenant_id))]
    if scope.dataset_ids:
        must.append(models.FieldCondition(key="dataset_id", match=models.MatchAny(any=list(scope.dataset_ids))))
    if scope.document_ids:
        must.append(models.FieldCondition(key="document_id", match=models.MatchAny(any=list(scope.document_ids))))
    if scope.chunk_ids:
        must.append(models.HasIdCondition(has_id=[point_id(c) for c in scope.chunk_ids]))
    if scope.run_id is not None:
        must.append(models.FieldCondition(key="run_id", match=models.MatchValue(value=scope.run_id)))
    for key, value in scope.extra.items():
        must.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    must_not: list[Any] = []
    if scope.not_run_id is not None:
        must_not.append(models.FieldCondition(key="run_id", match=models.MatchValue(value=scope.not_run_id)))
    return models.Filter(must=must, must_not=must_not or None)


class QdrantServerStore:
    """`url` for a server; `location=":memory:"` or `path=` for qdrant-client's local mode."""

    def __init__(
        self,
        dim: int,
        *,
        collection: str = "ragchat_chunks",
        url: str | None = None,
        api_key: str | None = None,
        location: str | None = None,
        path: str | None = None,
        tuning: IndexTuning = IndexTuning(),
        timeout_s: int = 10,
    ) -> None:
        self.dim = dim
        self.collection = collection
        self.tuning = tuning
        self._client_args: dict[str, Any] = {"url": url, "api_key": api_key, "location": location, "path": path}
        self._timeout_s = timeout_s
        self._client: AsyncQdrantClient | None = None

    @property
    def client(self) -> AsyncQdrantClient:
        if self._client is None:
            raise RuntimeError("vector store is not open")
        return self._client

    async def open(self) -> None:
        args = {k: v for k, v in self._client_args.items() if v is not None}
        if args.get("url"):
            args["timeout"] = self._timeout_s
        self._client = AsyncQdrantClient(**args)
        try:
            exists = await self._client.collection_exists(self.collection)
            if not exists:
                await self._client.create_collection(
                    self.collection,
                    vectors_config={DENSE: models.VectorParams(size=self.dim, distance=models.Distance.COSINE)},
                    sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                    hnsw_config=models.HnswConfigDiff(
                        m=self.tuning.hnsw_m,
                        ef_construct=self.tuning.hnsw_ef_construct,
                        payload_m=self.tuning.hnsw_m,
                        full_scan_threshold=self.tuning.full_scan_threshold_kb(self.dim),
                    ),
                    quantization_config=(
                        models.ScalarQuantization(
                            scalar=models.ScalarQuantizationConfig(
                                type=models.ScalarType.INT8, quantile=self.tuning.quantile, always_ram=True
                            )
                        )
                        if self.tuning.quantize
                        else None
                    ),
                )
                await self._client.create_payload_index(
                    self.collection,
                    "tenant_id",
                    field_schema=models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
                )
                for field in KEYWORD_FIELDS:
                    await self._client.create_payload_index(
                        self.collection, field, field_schema=models.PayloadSchemaType.KEYWORD
                    )
        except Exception as exc:
            raise Unavailable("The vector store is unavailable; please retry.") from exc

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def upsert(self, points: Sequence[ChunkPoint]) -> None:
        if not points:
            return
        await self.client.upsert(
            self.collection,
            points=[
                models.PointStruct(
                    id=point_id(p.id),
                    vector={
                        DENSE: list(p.dense),
                        SPARSE: models.SparseVector(indices=p.sparse.indices, values=p.sparse.values),
                    },
                    payload=p.payload,
                )
                for p in points
            ],
            wait=True,
        )

    async def delete(self, scope: Scope) -> None:
        await self.client.delete(
            self.collection, points_selector=models.FilterSelector(filter=build_filter(scope)), wait=True
        )

    async def set_payload(self, scope: Scope, payload: dict[str, Any]) -> None:
        await self.client.set_payload(self.collection, payload=payload, points=build_filter(scope), wait=True)

    async def search_dense(
        self, scope: Scope, vector: Sequence[float], limit: int, *, with_payload: bool = True
    ) -> list[Hit]:
        response = await self.client.query_points(
            self.collection,
            query=list(vector),
            using=DENSE,
            query_filter=build_filter(scope),
            limit=limit,
            with_payload=with_payload,
            search_params=models.SearchParams(
                hnsw_ef=self.tuning.ef(limit),
                quantization=models.QuantizationSearchParams(
                    ignore=not self.tuning.quantize, rescore=True, oversampling=self.tuning.oversampling
                ),
            ),
        )
        return [Hit(id=chunk_id(p.id), score=p.score, payload=dict(p.payload or {})) for p in response.points]

    async def search_sparse(self, scope: Scope, vector: SparseVector, limit: int) -> list[Hit]:
        response = await self.client.query_points(
            self.collection,
            query=models.SparseVector(indices=vector.indices, values=vector.values),
            using=SPARSE,
            query_filter=build_filter(scope),
            limit=limit,
            with_payload=False,
            with_vectors=[SPARSE],
            # IDF over the chunks searched (tenant + datasets): see the edge adapter.
            search_params=models.SearchParams(
                idf=models.IdfCorpusParams(corpus=build_filter(Scope(scope.tenant_id, scope.dataset_ids)))
            ),
        )
        hits: list[Hit] = []
        for p in response.points:
            if p.score <= 0:
                continue
            vectors = p.vector if isinstance(p.vector, dict) else {}
            sparse = vectors.get(SPARSE)
            indices = list(sparse.indices) if isinstance(sparse, models.SparseVector) else None
            hits.append(Hit(id=chunk_id(p.id), score=p.score, payload={}, sparse_indices=indices))
        return hits

    async def terms_present(self, scope: Scope, terms: Sequence[int], limit: int) -> dict[str, set[int]]:
        # One single-term keyword query per term, sent as one batch: see the edge adapter. Over
        # the network ids are also far less to ship than every candidate's sparse vector.
        terms = list(dict.fromkeys(terms))
        if not terms or limit <= 0:
            return {}
        selection = build_filter(scope)
        responses = await self.client.query_batch_points(
            self.collection,
            requests=[
                models.QueryRequest(
                    query=models.SparseVector(indices=[term], values=[1.0]),
                    using=SPARSE,
                    filter=selection,
                    limit=limit,
                    with_payload=False,
                    with_vector=False,
                )
                for term in terms
            ],
        )
        found: dict[str, set[int]] = {}
        for term, response in zip(terms, responses, strict=True):
            for p in response.points:
                if p.score > 0:
                    found.setdefault(chunk_id(p.id), set()).add(term)
        return found

    async def scroll(self, scope: Scope, limit: int, fields: Sequence[str] | None = None) -> list[Hit]:
        selector: Any = list(fields) if fields is not None else True
        hits: list[Hit] = []
        offset: Any = None
        while len(hits) < limit:
            records, offset = await self.client.scroll(
                self.collection,
                scroll_filter=build_filter(scope),
                limit=min(1000, limit - len(hits)),
                offset=offset,
                with_payload=selector,
            )
            hits.extend(Hit(id=chunk_id(r.id), score=0.0, payload=dict(r.payload or {})) for r in records)
            if offset is None or not records:
                break
        return hits

    async def count(self, scope: Scope) -> int:
        result = await self.client.count(self.collection, count_filter=build_filter(scope), exact=True)
        return int(result.count)
