"""Dense-search recall on real text: the embedded engine's graph, by search breadth and quantization.

    .venv/bin/python bench/bench_recall_real_text.py                  # 5,000 chunks (a few minutes)
    .venv/bin/python bench/bench_recall_real_text.py --chunks 30000   # ~25 min of embedding, once

bench_retrieval.py times Search on synthetic clustered vectors; this one checks the recall the
index settings give on real sentence embeddings. The text is prose this machine already has:
the docstrings of the installed Python packages and standard library, cut into pieces of up to
240 characters and embedded with the local MiniLM (vectors cached under ~/.cache/ragchat/bench).
300 further pieces are the queries. Every search walks the graph (no exact scan of small sets),
and recall@10 is against brute force. Prints recall@10 and p50 per (quantization, hnsw_ef).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import re
import statistics
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
from bench_retrieval import TENANT, exact_top10, private_store

from ragchat_retrieval.domain.ports import Scope
from ragchat_retrieval.embeddings import OnnxMiniLM
from ragchat_retrieval.vectorstore.tuning import IndexTuning

QUERIES = 300
PIECE_CHARS = 240
CACHE = Path.home() / ".cache" / "ragchat" / "bench"


def prose_pieces(limit: int) -> list[str]:
    """Docstring paragraphs of the installed Python code, in pieces, deduplicated, shuffled."""
    seen: dict[str, None] = {}
    roots = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]]
    for root in roots:
        for path in sorted(Path(root).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for paragraph in (ast.get_docstring(node) or "").split("\n\n"):
                    flat = re.sub(r"\s+", " ", paragraph).strip()
                    for start in range(0, len(flat), PIECE_CHARS):
                        piece = flat[start : start + PIECE_CHARS]
                        if len(piece) >= 60:
                            seen[piece] = None
            if len(seen) >= 3 * limit:
                break
    pieces = list(seen)
    np.random.default_rng(1).shuffle(pieces)
    if len(pieces) < limit:
        sys.exit(f"only {len(pieces)} pieces of prose found; ask for fewer chunks")
    return pieces[:limit]


def embeddings(count: int) -> np.ndarray:
    cached = CACHE / f"real-text-{count}.npy"
    if cached.exists():
        return np.load(cached)
    texts = prose_pieces(count)
    embedder = OnnxMiniLM(batch_size=64, threads=2)
    began = time.perf_counter()
    vectors = np.array(embedder.embed_sync(texts), dtype=np.float32)
    print(f"embedded {count} pieces in {time.perf_counter() - began:.0f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cached, vectors)
    return vectors


async def measure(vectors: np.ndarray, queries: np.ndarray, quantize: bool, efs: list[int]) -> None:
    exact = exact_top10(vectors, queries)
    # exact_search_max_points 0: the planner never scans instead of walking the graph.
    store, ids = await private_store(vectors, IndexTuning(quantize=quantize, exact_search_max_points=0))
    for ef in efs:
        store.tuning = IndexTuning(quantize=quantize, exact_search_max_points=0, hnsw_ef=ef)  # search-time only
        recalls, latencies = [], []
        for query, expected in zip(queries, exact, strict=True):
            vector = query.tolist()
            began = time.perf_counter()
            hits = await store.search_dense(Scope(TENANT, ["d"]), vector, 10, with_payload=False)
            latencies.append((time.perf_counter() - began) * 1000)
            recalls.append(len({ids[i] for i in expected} & {h.id for h in hits}) / 10)
        print(
            f"{len(vectors):>7} chunks  quantization {'int8' if quantize else 'off '}  hnsw_ef {ef:>4}: "
            f"recall@10 {statistics.mean(recalls):.3f}  p50 {statistics.median(latencies):.2f} ms"
        )
    await store.close()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--ef", type=lambda s: [int(x) for x in s.split(",")], default=[32, 64, 128])
    args = parser.parse_args()
    everything = embeddings(args.chunks + QUERIES)
    vectors, queries = everything[:-QUERIES], everything[-QUERIES:]
    for quantize in (False, True):
        asyncio.run(measure(vectors, queries, quantize, args.ef))


if __name__ == "__main__":
    run()
