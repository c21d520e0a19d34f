"""Answer quality on an evaluation set: tests/data/eval (bench/make_eval_corpus.py writes it), or
the one --eval-dir names, e.g. bench/data/eval_long (long documents of several chunks each,
bench/make_long_eval_corpus.py writes it).

    .venv/bin/python bench/bench_quality.py                 # retrieval + chat, the local model
    .venv/bin/python bench/bench_quality.py --no-chat       # retrieval only (a minute)
    .venv/bin/python bench/bench_quality.py --llm fake      # chat part against tests/fake_llm.py
    .venv/bin/python bench/bench_quality.py --no-chat --top-k 8,32,1024   # retrieval at several top_k
    .venv/bin/python bench/bench_quality.py --no-chat --chunk-token-num 64  # smaller chunks, more of them
    .venv/bin/python bench/bench_quality.py --eval-dir bench/data/eval_long  # DIR/corpus, DIR/questions.json

Starts its own stack (real processes, SecantusDB, a private namespace on the machine's RabbitMQ
and Redis), uploads the set's documents (DIR/corpus: the 24 of tests/data/eval by default) through
ragflow-sdk, parses them with the default chunk method, and prints:

1. retrieval through `RAGFlow.retrieve` at the SDK's default arguments (similarity_threshold 0.2,
   vector_similarity_weight 0.3, top_k 1024) and at vector_similarity_weight 0.7: hit@1, hit@3
   (the answer's document holds one of the first 1 / 3 chunks) and MRR (1 / rank of its first
   chunk) over the answerable questions, and how many of them got no chunk at all (with --top-k,
   at each top_k given instead of 1024: fewer candidates than the corpus's chunks);
2. chat: a chat created with the SDK's defaults (quoting on, empty_response left to the server)
   answers every question without streaming: the share of unanswerable questions answered with
   the empty_response, the share of answers with a reference whose text cites at least one
   valid [ID:n] (n < the number of reference chunks), and the share of answerable questions whose
   answer (without its [ID:n] markers) states the document's fact: their key in questions.json, a
   regular expression, is found in it case-insensitively (an empty_response answer counts as wrong).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ragflow_sdk import RAGFlow
from ragflow_sdk.modules.dataset import DataSet

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, StackConfig
from ragchat_gateway.auth.principal import KeyLimits

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "eval"  # the default of --eval-dir
EMPTY_RESPONSE = "Sorry! No relevant content was found in the knowledge base!"
_CITATION = re.compile(r"\[ID:(\d+)\]")


def load_corpus(
    rag: RAGFlow, chunk_method: str, chunk_token_num: int = 0, data: Path = DATA
) -> tuple[Any, dict[str, str]]:
    parser_config = DataSet.ParserConfig(rag, {"chunk_token_num": chunk_token_num}) if chunk_token_num else None
    dataset = rag.create_dataset(
        name=f"corallis-{int(time.time())}", chunk_method=chunk_method, parser_config=parser_config
    )
    files = sorted((data / "corpus").iterdir())
    docs = dataset.upload_documents([{"display_name": p.name, "blob": p.read_bytes()} for p in files])
    ids = {d.name: d.id for d in docs}
    dataset.async_parse_documents(list(ids.values()))
    deadline = time.monotonic() + 600
    while True:
        listed = dataset.list_documents(page_size=100)
        failed = [(d.name, d.progress_msg) for d in listed if d.run == "FAIL"]
        if failed:
            raise SystemExit(f"parsing failed: {failed}")
        if all(d.run == "DONE" for d in listed):
            break
        if time.monotonic() > deadline:
            raise SystemExit("the corpus was not parsed within 10 minutes")
        time.sleep(0.5)
    chunks = sum(d.chunk_count for d in listed)
    print(f"corpus: {len(ids)} documents, {chunks} chunks (chunk_method {chunk_method})")
    return dataset, ids


def retrieval_scores(
    rag: RAGFlow, dataset_id: str, ids: dict[str, str], questions: list[dict[str, Any]], weight: float, top_k: int
) -> dict[str, float]:
    hits1 = hits3 = 0
    reciprocal: list[float] = []
    empty = 0
    latencies: list[float] = []
    misses: list[str] = []
    answerable = [q for q in questions if q["document"]]
    for item in answerable:
        began = time.perf_counter()
        # Everything else at the SDK's defaults (similarity_threshold 0.2, page_size 30).
        chunks = rag.retrieve(
            dataset_ids=[dataset_id], question=item["question"], vector_similarity_weight=weight, top_k=top_k
        )
        latencies.append((time.perf_counter() - began) * 1000)
        wanted = ids[item["document"]]
        ranks = [i for i, c in enumerate(chunks, start=1) if c.document_id == wanted]
        rank = ranks[0] if ranks else 0
        hits1 += rank == 1
        hits3 += 0 < rank <= 3
        reciprocal.append(1 / rank if rank else 0.0)
        empty += not chunks
        if not 0 < rank <= 3:
            misses.append(f"{item['question']} (rank {rank or '-'})")
    n = len(answerable)
    print(
        f"retrieval, top_k {top_k}, vector_similarity_weight {weight}: hit@1 {hits1 / n:.3f}  hit@3 {hits3 / n:.3f}  "
        f"MRR {statistics.mean(reciprocal):.3f}  no chunk at all: {empty}/{n}  "
        f"latency p50 {statistics.median(latencies):.0f} ms"
    )
    for miss in misses:
        print(f"    not in the top 3: {miss}")
    return {"hit@1": hits1 / n, "hit@3": hits3 / n, "mrr": statistics.mean(reciprocal)}


def chat_scores(rag: RAGFlow, dataset_id: str, questions: list[dict[str, Any]], max_tokens: int) -> None:
    chat = rag.create_chat(f"corallis-{int(time.time())}", dataset_ids=[dataset_id])
    chat.update({"llm": {"max_tokens": max_tokens}})
    unanswerable = [q for q in questions if not q["document"]]
    answerable = [q for q in questions if q["document"]]
    declined = 0
    for item in unanswerable:
        session = chat.create_session(item["question"][:60])
        message = list(session.ask(item["question"], stream=False))[-1]
        declined += message.content.strip() == EMPTY_RESPONSE
    quoted = cited = 0
    uncited: list[str] = []
    keyed = stated = 0
    wrong: list[str] = []
    began = time.perf_counter()
    for item in answerable:
        session = chat.create_session(item["question"][:60])
        message = list(session.ask(item["question"], stream=False))[-1]
        if item.get("answer"):
            keyed += 1
            text = _CITATION.sub("", message.content)
            if re.search(item["answer"], text, re.IGNORECASE):
                stated += 1
            else:
                wrong.append(f"{item['question']} -> {text[:120]!r}")
        chunks = getattr(message, "reference", None) or []
        if not chunks:
            continue  # answered with empty_response: nothing to cite
        quoted += 1
        if any(int(n) < len(chunks) for n in _CITATION.findall(message.content)):
            cited += 1
        else:
            uncited.append(f"{item['question']} -> {message.content[:120]!r}")
    elapsed = time.perf_counter() - began
    print(
        "chat: unanswerable questions answered with empty_response: "
        f"{declined}/{len(unanswerable)} = {declined / len(unanswerable):.2f}"
    )
    print(
        f"chat: quoted answers with at least one valid [ID:n]: {cited}/{quoted} = {cited / max(quoted, 1):.2f}"
        f"  ({elapsed / max(len(answerable), 1):.1f} s per answer)"
    )
    for question in uncited:
        print(f"    no citation: {question}")
    print(f"chat: answers stating the document's fact: {stated}/{keyed} = {stated / max(keyed, 1):.2f}")
    for question in wrong:
        print(f"    wrong: {question}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-chat", action="store_true", help="retrieval only")
    parser.add_argument(
        "--llm", choices=("local", "fake"), default="local", help="the chat's model (default: the local GGUF model)"
    )
    parser.add_argument("--max-tokens", type=int, default=96, help="answer length of the chat part")
    parser.add_argument("--chunk-method", default="naive")
    parser.add_argument("--chunk-token-num", type=int, default=0, help="chunk size (default: the dataset default)")
    parser.add_argument(
        "--top-k",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1024],
        help="candidates per search side, comma-separated for several runs (default: the SDK's 1024)",
    )
    parser.add_argument(
        "--eval-dir",
        type=Path,
        default=DATA,
        metavar="DIR",
        help="the evaluation set: DIR/corpus and DIR/questions.json (default: tests/data/eval)",
    )
    args = parser.parse_args()
    questions = json.loads((args.eval_dir / "questions.json").read_text())
    env: dict[str, str] = {}
    fake = None
    if args.llm == "fake":
        sys.path.insert(0, str(ROOT / "tests"))
        from fake_llm import FakeLLM

        fake = FakeLLM().start()
        env = {"RAGCHAT_LLM_BASE_URL": fake.url, "RAGCHAT_LLM_MODEL": "fake-model"}
    config = StackConfig(state_dir=Path(tempfile.mkdtemp(prefix="bench-quality-")), env=env)
    with Stack(config) as stack:
        key = mint_key(stack.mongo_url, "bench-quality", KeyLimits(requests_per_minute=100_000, burst=10_000))
        rag = RAGFlow(api_key=key, base_url=stack.gateway_url)
        dataset, ids = load_corpus(rag, args.chunk_method, args.chunk_token_num, args.eval_dir)
        answerable = sum(1 for q in questions if q["document"])
        print(f"questions: {answerable} answerable, {len(questions) - answerable} answered by no document")
        for top_k in args.top_k:
            for weight in (0.3, 0.7):
                retrieval_scores(rag, dataset.id, ids, questions, weight, top_k)
        if not args.no_chat:
            chat_scores(rag, dataset.id, questions, args.max_tokens)
    if fake is not None:
        fake.stop()


if __name__ == "__main__":
    main()
