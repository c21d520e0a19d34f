from __future__ import annotations

from ragchat_common.jobs import ChatTurn
from ragchat_worker.domain.prompt import CITATION_RULES, AssembledPrompt, assemble_prompt, recent_history
from ragchat_worker.domain.types import RetrievedChunk


class WordCounter:
    """Counts words: enough to test the budget logic deterministically."""

    def count(self, text: str) -> int:
        return len(text.split())


class CountingWords(WordCounter):
    def __init__(self) -> None:
        self.counted: list[str] = []

    def count(self, text: str) -> int:
        self.counted.append(text)
        return super().count(text)


def chunk(i: int) -> RetrievedChunk:
    return RetrievedChunk(f"c{i}", f"fact number {i}", "d", "doc.txt", "ds", 0.9, 0.9, 0.9)


def test_knowledge_variables_and_citation_rules() -> None:
    prompt = assemble_prompt(
        template="Be {style}. Use: {knowledge} {unknown}",
        question="q?",
        history=[],
        variables={"style": "formal"},
        chunks=[chunk(0), chunk(1)],
        quote=True,
        counter=WordCounter(),
        budget_tokens=10_000,
    )
    system = prompt.messages[0].content
    assert system.startswith("Be formal. Use: [ID:0] (document: doc.txt)\nfact number 0\n\n[ID:1]")
    assert "{unknown}" in system
    assert system.endswith(CITATION_RULES)
    assert prompt.messages[-1].role == "user" and prompt.messages[-1].content == "q?"


def test_no_citation_rules_without_quote() -> None:
    prompt = assemble_prompt(
        template="{knowledge}",
        question="q",
        history=[],
        variables={},
        chunks=[chunk(0)],
        quote=False,
        counter=WordCounter(),
        budget_tokens=1000,
    )
    assert CITATION_RULES not in prompt.messages[0].content


def _with_history(
    history: list[ChatTurn], question: str, counter: WordCounter, *, budget_tokens: int
) -> AssembledPrompt:
    """A prompt of a bare system prompt, ``history`` and ``question``: only the history's trimming varies."""
    return assemble_prompt(
        template="sys",
        question=question,
        history=history,
        variables={},
        chunks=[],
        quote=False,
        counter=counter,
        budget_tokens=budget_tokens,
    )


def test_history_is_trimmed_oldest_first_to_the_budget() -> None:
    history = []
    for i in range(10):
        history.append(ChatTurn(role="user", content=f"question {i} " + "w " * 20))
        history.append(ChatTurn(role="assistant", content=f"answer {i} " + "w " * 20))
    counter = WordCounter()
    prompt = _with_history(history, "final question", counter, budget_tokens=120)
    kept = prompt.messages[1:-1]
    assert 0 < len(kept) < 20
    assert kept[0].role == "user"
    assert kept[-1].content.startswith("answer 9")  # the newest turns survive
    assert prompt.dropped_history == 20 - len(kept)
    total = sum(counter.count(m.content) + 4 for m in prompt.messages)
    assert total == prompt.prompt_tokens <= 120


def test_turns_older_than_the_budget_are_never_counted() -> None:
    history = [ChatTurn(role=("user", "assistant")[i % 2], content=f"turn {i} " + "w " * 50) for i in range(100)]
    counter = CountingWords()
    prompt = _with_history(history, "q", counter, budget_tokens=400)
    kept = prompt.messages[1:-1]
    assert kept and kept[-1].content.startswith("turn 99 ")
    counted_turns = [text for text in counter.counted if text.startswith("turn ")]
    assert len(counted_turns) <= len(kept) + 2  # the kept ones and the first that did not fit


def test_a_prompt_that_fits_by_its_bytes_is_not_tokenized_until_its_count_is_asked() -> None:
    history = [ChatTurn(role=("user", "assistant")[i % 2], content=f"turn {i} with a few words") for i in range(6)]
    uncounted = CountingWords()
    prompt = _with_history(history, "and the question?", uncounted, budget_tokens=10_000)
    assert uncounted.counted == []
    # What counting keeps when everything fits (a budget below the bytes, above the words).
    counted = _with_history(history, "and the question?", CountingWords(), budget_tokens=100)
    assert counted.counted is not None
    assert prompt.messages == counted.messages and prompt.dropped_history == counted.dropped_history == 0
    assert prompt.prompt_tokens == counted.prompt_tokens == sum(len(m.content.split()) + 4 for m in prompt.messages)
    assert uncounted.counted  # counted now, on demand


def test_chunks_are_dropped_when_the_system_prompt_alone_is_too_long() -> None:
    chunks = [RetrievedChunk(f"c{i}", "word " * 50, "d", "doc.txt", "ds", 0.9, 0.9, 0.9) for i in range(5)]
    prompt = assemble_prompt(
        template="{knowledge}",
        question="q",
        history=[],
        variables={},
        chunks=chunks,
        quote=True,
        counter=WordCounter(),
        budget_tokens=130,
    )
    # One chunk costs 53 words; with the citation rules only one fits in 130.
    assert len(prompt.chunks) == 1
    assert prompt.prompt_tokens <= 130
    assert "[ID:1]" not in prompt.messages[0].content


def test_budget_counted_with_the_local_model_tokenizer() -> None:
    from ragchat_worker.llm.tokens import GgufTokenCounter, default_gguf_path

    counter = GgufTokenCounter(default_gguf_path())
    assert 1 <= counter.count("Hello world") <= 4
    assert counter.count("Hello world " * 50) > counter.count("Hello world " * 10)
    history = [ChatTurn(role="user" if i % 2 == 0 else "assistant", content="lorem ipsum " * 40) for i in range(20)]
    prompt = assemble_prompt(
        template="{knowledge}",
        question="q",
        history=history,
        variables={},
        chunks=[],
        quote=False,
        counter=counter,
        budget_tokens=500,
    )
    assert 0 < len(prompt.messages) - 2 < 20
    total = sum(counter.count(m.content) + 4 for m in prompt.messages)
    assert total == prompt.prompt_tokens <= 500


class _WordCounter:
    """One token per word (what matters here is that the count grows with the text)."""

    def count(self, text: str) -> int:
        return len(text.split())


def test_a_question_longer_than_the_context_keeps_its_end_within_the_budget() -> None:
    from ragchat_worker.domain.prompt import TRIMMED_MARK, assemble_prompt, fit_text

    counter = _WordCounter()
    question = " ".join(f"w{i}" for i in range(50_000)) + " so what is the answer?"
    prompt = assemble_prompt(
        template="Answer. {knowledge}",
        question=question,
        history=[],
        variables={},
        chunks=[],
        quote=False,
        counter=counter,
        budget_tokens=1000,
    )
    asked = prompt.messages[-1].content
    assert asked.startswith(TRIMMED_MARK) and asked.endswith("so what is the answer?")
    assert sum(counter.count(m.content) + 4 for m in prompt.messages) <= 1000
    assert fit_text("short question", counter, 100) == "short question"


def test_the_local_tokenizer_makes_no_more_tokens_than_the_byte_bound() -> None:
    # What lets a prompt that fits by its bytes skip the tokenizer.
    from ragchat_worker.domain.prompt import MESSAGE_OVERHEAD_TOKENS, _most_tokens
    from ragchat_worker.domain.types import PromptMessage
    from ragchat_worker.llm.tokens import GgufTokenCounter, default_gguf_path

    counter = GgufTokenCounter(default_gguf_path())
    texts = ["a", " ", "  \n\n\t ", "Hello world", "知识库中未找到您要的答案", "\U0001f600\U0001f680 ok", "x" * 999]
    texts += ["".join(chr(c) for c in range(0x20, 0x2FF)), "\u0301\u200b\ufeff\ufffd"]
    for text in texts:
        assert counter.count(text) + MESSAGE_OVERHEAD_TOKENS <= _most_tokens(PromptMessage("user", text)), text


def test_recent_history_keeps_the_newest_messages_and_starts_with_a_question() -> None:
    history = [
        ChatTurn(role="assistant", content="Hi, how can I help?"),  # a session's opener
        ChatTurn(role="user", content="q1"),
        ChatTurn(role="assistant", content="a1"),
        ChatTurn(role="user", content="q2"),
        ChatTurn(role="assistant", content="a2"),
    ]
    assert recent_history(history, -1) == history
    assert recent_history(history, 0) == []
    assert [t.content for t in recent_history(history, 2)] == ["q2", "a2"]
    # Cut inside a question/answer pair: the leftover answer is not sent alone.
    assert [t.content for t in recent_history(history, 3)] == ["q2", "a2"]
    assert [t.content for t in recent_history(history, 4)] == ["q1", "a1", "q2", "a2"]
    assert [t.content for t in recent_history(history, 99)] == ["q1", "a1", "q2", "a2"]
