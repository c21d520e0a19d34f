"""The same behaviour from both vector store adapters: the embedded Qdrant edge engine (for
real, on disk) and qdrant-client (in its local mode, standing in for a Qdrant server)."""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ragchat_common.ids import new_id
from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.ports import ChunkPoint, Scope, VectorStore
from ragchat_retrieval.vectorstore import points
from ragchat_retrieval.vectorstore.edge import EdgeStore
from ragchat_retrieval.vectorstore.server import QdrantServerStore
from ragchat_retrieval.vectorstore.tuning import IndexTuning

DIM = 8
# qdrant-client's local mode says it ignores payload indexes and HNSW params; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes:UserWarning", "ignore:Local mode:UserWarning")


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def axis(i: int, noise: float = 0.0, rng: random.Random | None = None) -> list[float]:
    rng = rng or random.Random(i)
    return unit([(1.0 if j == i else 0.0) + rng.uniform(-noise, noise) for j in range(DIM)])


def point(tenant: str, dataset: str, document: str, content: str, dense: list[float], run: str = "r1") -> ChunkPoint:
    return ChunkPoint(
        id=new_id(),
        dense=dense,
        sparse=text.document_sparse(content),
        payload={
            "tenant_id": tenant,
            "dataset_id": dataset,
            "document_id": document,
            "run_id": run,
            "content": content,
            "position": 0,
        },
    )


def test_point_ids_are_the_canonical_uuid_of_chunk_ids() -> None:
    for _ in range(100):
        chunk = new_id()
        assert points.point_id(chunk) == str(uuid.UUID(hex=chunk))
        assert points.chunk_id(points.point_id(chunk)) == points.chunk_id(uuid.UUID(hex=chunk)) == chunk
    assert points.point_id("ABCDEF0123456789ABCDEF0123456789") == "abcdef01-2345-6789-abcd-ef0123456789"
    with pytest.raises(ValueError):
        points.point_id("not-a-chunk-id")


@pytest.fixture(params=["edge", "qdrant-client"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[VectorStore]:
    adapter: VectorStore
    if request.param == "edge":
        adapter = EdgeStore(tmp_path / "edge", DIM)
    else:
        adapter = QdrantServerStore(DIM, location=":memory:", collection="test_" + new_id()[:8])
    await adapter.open()
    try:
        yield adapter
    finally:
        await adapter.close()


async def test_dense_search_is_filtered_by_tenant_and_dataset(store: VectorStore) -> None:
    mine = point("tA", "d1", "doc1", "lamp warranty", axis(0))
    same_dataset_other_tenant = point("tB", "d1", "doc9", "lamp warranty", axis(0))
    other_dataset = point("tA", "d2", "doc2", "lamp warranty", axis(0))
    await store.upsert([mine, same_dataset_other_tenant, other_dataset])

    hits = await store.search_dense(Scope(tenant_id="tA", dataset_ids=["d1"]), axis(0), 10)
    assert [h.id for h in hits] == [mine.id]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert hits[0].payload["content"] == "lamp warranty"
    bare = await store.search_dense(Scope(tenant_id="tA", dataset_ids=["d1"]), axis(0), 10, with_payload=False)
    assert [h.id for h in bare] == [mine.id] and bare[0].payload == {}

    both = await store.search_dense(Scope(tenant_id="tA", dataset_ids=["d1", "d2"]), axis(0), 10)
    assert {h.id for h in both} == {mine.id, other_dataset.id}
    nothing = await store.search_dense(Scope(tenant_id="tC", dataset_ids=["d1"]), axis(0), 10)
    assert nothing == []


async def test_dense_search_ranks_by_cosine_and_limits(store: VectorStore) -> None:
    points = [point("t", "d", f"doc{i}", f"text {i}", axis(i % DIM, 0.3, random.Random(i))) for i in range(40)]
    await store.upsert(points)
    query = axis(3)
    hits = await store.search_dense(Scope(tenant_id="t", dataset_ids=["d"]), query, 5)
    assert len(hits) == 5
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    exact = sorted(points, key=lambda p: -sum(a * b for a, b in zip(p.dense, query, strict=True)))[:5]
    assert {h.id for h in hits} == {p.id for p in exact}


async def test_document_filter_restricts_search(store: VectorStore) -> None:
    a = point("t", "d", "docA", "alpha", axis(1))
    b = point("t", "d", "docB", "alpha", axis(1))
    await store.upsert([a, b])
    hits = await store.search_dense(Scope(tenant_id="t", dataset_ids=["d"], document_ids=["docB"]), axis(1), 10)
    assert [h.id for h in hits] == [b.id]


async def test_sparse_search_scores_bm25_with_idf_and_returns_dense(store: VectorStore) -> None:
    rare = point("t", "d", "doc1", "the zephyr lamp has a warranty", axis(0))
    common = [point("t", "d", f"doc{i}", f"warranty card number {i}", axis(1)) for i in range(2, 8)]
    unrelated = point("t", "d", "docX", "bananas are yellow", axis(2))
    await store.upsert([rare, *common, unrelated])
    hits = await store.search_sparse(Scope(tenant_id="t", dataset_ids=["d"]), text.query_sparse("zephyr warranty"), 10)
    assert hits[0].id == rare.id  # the rare term outweighs the common one (IDF)
    assert unrelated.id not in {h.id for h in hits}  # no shared term, no hit
    assert all(h.score > 0 for h in hits)
    assert set(hits[0].sparse_indices or ()) == set(rare.sparse.indices)  # its terms, for coverage
    other_tenant = await store.search_sparse(Scope(tenant_id="u"), text.query_sparse("zephyr"), 10)
    assert other_tenant == []


async def test_terms_present_names_the_terms_each_given_chunk_has(store: VectorStore) -> None:
    both = point("t", "d", "doc1", "the zephyr lamp", axis(0))
    lamp = point("t", "d", "doc1", "a lamp manual", axis(1))
    neither = point("t", "d", "doc1", "bananas are yellow", axis(2))
    not_asked = point("t", "d", "doc1", "zephyr lamp again", axis(3))
    titled = ChunkPoint(new_id(), axis(4), text.document_sparse("charges fast", title="Zephyr.pdf"), both.payload)
    other_tenant = point("u", "d", "doc9", "zephyr lamp", axis(0))
    await store.upsert([both, lamp, neither, not_asked, titled, other_tenant])
    zephyr, lamp_term = (text.term_index(text.stem(w)) for w in ("zephyr", "lamp"))
    asked = [both.id, lamp.id, neither.id, titled.id, other_tenant.id]
    found = await store.terms_present(Scope("t", ["d"], chunk_ids=asked), [zephyr, lamp_term, zephyr], len(asked))
    assert found == {both.id: {zephyr, lamp_term}, lamp.id: {lamp_term}, titled.id: {zephyr}}
    assert await store.terms_present(Scope("t", ["d"], chunk_ids=asked), [], 10) == {}
    assert await store.terms_present(Scope("t", ["other"], chunk_ids=asked), [zephyr], 10) == {}
    capped = await store.terms_present(Scope("t", ["d"], chunk_ids=asked), [lamp_term], 1)
    assert len(capped) == 1 and set(capped) <= {both.id, lamp.id}


async def test_delete_by_document_and_by_stale_run(store: VectorStore) -> None:
    old = point("t", "d", "doc", "old text", axis(0), run="r1")
    new = point("t", "d", "doc", "new text", axis(0), run="r2")
    keep = point("t", "d", "other", "other text", axis(0), run="r1")
    await store.upsert([old, new, keep])
    await store.delete(Scope(tenant_id="t", document_ids=["doc"], not_run_id="r2"))
    ids = {h.id for h in await store.scroll(Scope(tenant_id="t"), 100)}
    assert ids == {new.id, keep.id}
    await store.delete(Scope(tenant_id="t", document_ids=["doc"]))
    assert {h.id for h in await store.scroll(Scope(tenant_id="t"), 100)} == {keep.id}


async def test_delete_never_crosses_tenants(store: VectorStore) -> None:
    a = point("tA", "d", "doc", "x", axis(0))
    b = point("tB", "d", "doc", "x", axis(0))
    await store.upsert([a, b])
    await store.delete(Scope(tenant_id="tA", dataset_ids=["d"]))
    assert await store.count(Scope(tenant_id="tA")) == 0
    assert await store.count(Scope(tenant_id="tB")) == 1


async def test_scroll_count_by_chunk_ids_and_set_payload(store: VectorStore) -> None:
    points = [point("t", "d", "doc", f"chunk {i}", axis(i % DIM)) for i in range(25)]
    await store.upsert(points)
    assert await store.count(Scope(tenant_id="t", document_ids=["doc"])) == 25
    assert len(await store.scroll(Scope(tenant_id="t"), 1000)) == 25
    assert len(await store.scroll(Scope(tenant_id="t"), 10)) == 10
    wanted = [points[3].id, points[7].id]
    found = await store.scroll(Scope(tenant_id="t", chunk_ids=wanted), 10)
    assert {h.id for h in found} == set(wanted)
    light = await store.scroll(Scope(tenant_id="t", chunk_ids=wanted), 10, fields=["document_id"])
    assert [h.payload for h in light] == [{"document_id": "doc"}] * 2
    await store.set_payload(Scope(tenant_id="t", chunk_ids=[points[3].id]), {"available": False})
    (hit,) = await store.scroll(Scope(tenant_id="t", chunk_ids=[points[3].id]), 1)
    assert hit.payload["available"] is False and hit.payload["content"] == "chunk 3"


async def test_upsert_same_id_overwrites(store: VectorStore) -> None:
    first = point("t", "d", "doc", "first", axis(0))
    await store.upsert([first])
    second = ChunkPoint(first.id, axis(1), text.document_sparse("second"), {**first.payload, "content": "second"})
    await store.upsert([second])
    hits = await store.scroll(Scope(tenant_id="t"), 10)
    assert [h.payload["content"] for h in hits] == ["second"]


async def test_keyword_idf_is_computed_over_the_searched_tenant_only(store: VectorStore) -> None:
    mine = [point("tA", "d", "doc1", "zephyr lamp warranty", axis(0)), point("tA", "d", "doc2", "lamp manual", axis(1))]
    await store.upsert(mine)
    scope = Scope(tenant_id="tA", dataset_ids=["d"])
    query = text.query_sparse("zephyr lamp")
    before = {h.id: h.score for h in await store.search_sparse(scope, query, 10)}
    # Another tenant indexes lots of chunks with the same words: tenant A's scores do not move.
    await store.upsert([point("tB", "d", f"x{i}", "zephyr lamp zephyr", axis(2)) for i in range(30)])
    after = {h.id: h.score for h in await store.search_sparse(scope, query, 10)}
    assert after.keys() == before.keys() == {mine[0].id, mine[1].id}
    for chunk_id, score in before.items():
        assert after[chunk_id] == pytest.approx(score, rel=1e-4)


async def test_edge_index_builds_in_a_child_process_without_losing_writes(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "edge", DIM, rebuild_delay_s=0.05, rebuild_min_unindexed=50)
    await store.open()
    first = [point("t", "d", f"doc{i % 5}", f"chunk {i}", axis(i % DIM, 0.2, random.Random(i))) for i in range(120)]
    await store.upsert(first)
    for _ in range(100):  # the build starts once writes settle
        if store._rebuild_task is not None:
            break
        await asyncio.sleep(0.05)
    assert store._rebuild_task is not None
    # Writes while the copy is being indexed are replayed onto it.
    late = point("t", "d", "late", "late chunk", axis(2))
    await store.upsert([late])
    await store.delete(Scope(tenant_id="t", document_ids=["doc0"]))
    hits = await store.search_dense(Scope(tenant_id="t", dataset_ids=["d"]), axis(2), 5)
    assert hits  # searches keep working during the build
    await asyncio.wait_for(store._rebuild_task, 60)
    assert store.rebuilds == 1
    assert await store.count(Scope(tenant_id="t", document_ids=["late"])) == 1
    assert await store.count(Scope(tenant_id="t", document_ids=["doc0"])) == 0
    assert await store.count(Scope(tenant_id="t")) == 120 - 24 + 1
    await store.close()
    assert sorted(p.name for p in (tmp_path / "edge").iterdir()) == ["STATE", "gen-000002"]

    reopened = EdgeStore(tmp_path / "edge", DIM)
    await reopened.open()
    try:
        assert await reopened.count(Scope(tenant_id="t")) == 97
        hits = await reopened.search_dense(Scope(tenant_id="t", dataset_ids=["d"]), axis(2), 3)
        assert late.id in {h.id for h in hits}
    finally:
        await reopened.close()


async def test_edge_scans_small_filtered_sets_exactly_and_rebuilds_on_new_settings(tmp_path: Path) -> None:
    """Below `exact_search_max_points` (after the tenant/dataset filter) the planner scans instead of
    walking the graph; a store reopened with another threshold rebuilds its index once."""
    dim, rng = 128, random.Random(3)  # 3000 x 128 floats: above the size that gets a graph
    vectors = [unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(3000)]
    points = [point("t", "d", "doc", f"chunk {i}", v) for i, v in enumerate(vectors)]
    queries = [unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(20)]
    scope = Scope(tenant_id="t", dataset_ids=["d"])

    async def recall(store: EdgeStore) -> float:
        found = 0
        for query in queries:
            scores = [sum(a * b for a, b in zip(vector, query, strict=True)) for vector in vectors]
            exact = sorted(range(len(vectors)), key=lambda i: -scores[i])[:10]
            hits = await store.search_dense(scope, query, 10, with_payload=False)
            found += len({points[i].id for i in exact} & {h.id for h in hits})
        return found / (10 * len(queries))

    def narrow(exact_search_max_points: int) -> IndexTuning:
        return IndexTuning(hnsw_ef=10, exact_search_max_points=exact_search_max_points)

    graph_only = EdgeStore(tmp_path / "edge", dim, tuning=narrow(0), rebuild_delay_s=3600)
    await graph_only.open()
    await graph_only.upsert(points)
    await graph_only.rebuild()
    assert graph_only.shard.info().indexed_vectors_count >= len(points)
    assert await recall(graph_only) < 0.99  # a narrow walk of the graph is approximate
    await graph_only.close()

    scanning = EdgeStore(tmp_path / "edge", dim, tuning=narrow(5000), rebuild_delay_s=0.05)
    await scanning.open()
    for _ in range(100):
        if scanning._rebuild_task is not None:
            break
        await asyncio.sleep(0.05)
    assert scanning._rebuild_task is not None, "new settings did not start a build"
    await asyncio.wait_for(scanning._rebuild_task, 60)
    assert scanning.rebuilds == 1
    assert await recall(scanning) == 1.0
    await scanning.close()

    again = EdgeStore(tmp_path / "edge", dim, tuning=narrow(5000), rebuild_delay_s=0.05)
    await again.open()
    try:
        await asyncio.sleep(0.3)
        assert again._rebuild_task is None  # settings unchanged: no build
        assert await recall(again) == 1.0
    finally:
        await again.close()


async def test_edge_quantized_search_rescores_to_exact_scores_and_switching_it_rebuilds_once(tmp_path: Path) -> None:
    """Searches run on an int8 copy of the vectors but return the order and cosine of the full
    vectors (rescoring); turning quantization on rebuilds once, turning it off needs no build."""
    dim, rng = 128, random.Random(5)  # 1.5 MB of vectors: above the size that gets indexed
    vectors = [unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(3000)]
    points = [point("t", "d", "doc", f"chunk {i}", v) for i, v in enumerate(vectors)]
    queries = [unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(10)]
    scope = Scope(tenant_id="t", dataset_ids=["d"])

    async def assert_exact(store: EdgeStore) -> None:
        for query in queries:
            scores = {p.id: sum(a * b for a, b in zip(p.dense, query, strict=True)) for p in points}
            best = sorted(scores, key=lambda i: -scores[i])[:10]
            hits = await store.search_dense(scope, query, 10, with_payload=False)
            assert [h.id for h in hits] == best
            for hit in hits:  # int8 scores would be off by ~1e-2
                assert hit.score == pytest.approx(scores[hit.id], abs=1e-5)

    def quantized_on_disk(store: EdgeStore) -> bool:
        return any(store.path.glob("gen-*/segments/*/vector_storage-dense/quantized.data"))

    async def opened(quantize: bool) -> EdgeStore:
        store = EdgeStore(tmp_path / "edge", dim, tuning=IndexTuning(quantize=quantize), rebuild_delay_s=0.05)
        await store.open()
        await asyncio.sleep(0.3)  # past the debounce: a needed build has started
        if store._rebuild_task is not None:
            await asyncio.wait_for(store._rebuild_task, 60)
        return store

    plain = EdgeStore(tmp_path / "edge", dim, tuning=IndexTuning(quantize=False), rebuild_delay_s=3600)
    await plain.open()
    await plain.upsert(points)
    await plain.rebuild()
    assert not quantized_on_disk(plain)
    await assert_exact(plain)
    await plain.close()

    quantized = await opened(quantize=True)
    assert quantized.rebuilds == 1 and quantized_on_disk(quantized)
    await assert_exact(quantized)
    await quantized.close()

    for quantize in (True, False):  # unchanged, then off: the int8 copy stays and is ignored
        again = await opened(quantize)
        assert again.rebuilds == 0
        await assert_exact(again)
        await again.close()
