"""Prompt assembly: system prompt with the ``{knowledge}`` block, variables, citation rules, and
the history trimmed oldest-first to the model's context budget (counted with a real tokenizer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ragchat_common.jobs import ChatTurn
from ragchat_common.prompting import fill_placeholders
from ragchat_worker.domain.types import PromptMessage, RetrievedChunk, TokenCounter

DEFAULT_SYSTEM_PROMPT = (
    "You are an intelligent assistant. Answer the question from the knowledge base below. "
    "When the knowledge base has nothing relevant to the question, say that the knowledge base "
    "does not contain the answer.\n\nKnowledge base:\n{knowledge}"
)
CITATION_RULES = (
    "\n\nCite your sources: right after a sentence that uses a piece of the knowledge base, write "
    "its marker exactly as shown, for example [ID:0]. Use only markers that appear above; never "
    "invent one."
)
# Tokens a chat template adds around each message (role tags, separators).
MESSAGE_OVERHEAD_TOKENS = 4
# Marks where a question too long for the model's context was cut.
TRIMMED_MARK = "… "


@dataclass
class AssembledPrompt:
    messages: list[PromptMessage]
    # The chunks in the knowledge block, in marker order (fewer than retrieved if the budget forced it).
    chunks: list[RetrievedChunk]
    dropped_history: int
    counter: TokenCounter = field(repr=False)
    counted: int | None = None  # the prompt's tokens, when assembling it had to count them

    @property
    def prompt_tokens(self) -> int:
        """The prompt's tokens (with each message's overhead), counted on first use when assembly
        did not need them: most model servers report them, so they are rarely counted then."""
        if self.counted is None:
            self.counted = sum(_cost(self.counter, m) for m in self.messages)
        return self.counted


def knowledge_block(chunks: Sequence[RetrievedChunk]) -> str:
    return "\n\n".join(f"[ID:{i}] (document: {c.document_name})\n{c.content}" for i, c in enumerate(chunks))


def system_prompt(template: str, variables: Mapping[str, str], chunks: Sequence[RetrievedChunk], quote: bool) -> str:
    template = template or DEFAULT_SYSTEM_PROMPT
    knowledge = knowledge_block(chunks)
    if "{knowledge}" not in template and chunks:
        template = template + "\n\nKnowledge base:\n{knowledge}"
    text = fill_placeholders(template, {**variables, "knowledge": knowledge})
    if quote and chunks:
        text += CITATION_RULES
    return text


def _cost(counter: TokenCounter, message: PromptMessage) -> int:
    return counter.count(message.content) + MESSAGE_OVERHEAD_TOKENS


def _most_tokens(message: PromptMessage) -> int:
    """A bound on ``_cost`` whatever the tokenizer: byte-level BPE (GGUF vocabularies, tiktoken)
    makes at most one token per UTF-8 byte; SentencePiece's byte fallback one more, its leading
    space."""
    text = message.content
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return size + 1 + MESSAGE_OVERHEAD_TOKENS


def fit_text(text: str, counter: TokenCounter, max_tokens: int) -> str:
    """``text``, or its end marked with TRIMMED_MARK, within ``max_tokens`` (at least a few)."""
    max_tokens = max(max_tokens, 16)
    tokens = counter.count(text)
    if tokens <= max_tokens:
        return text
    # Estimate the length from the text's own characters per token, then shrink until it fits
    # (a handful of counts, not one per character).
    keep = int(len(text) * max_tokens / tokens)
    while keep > 0:
        candidate = TRIMMED_MARK + text[len(text) - keep :]
        if counter.count(candidate) <= max_tokens:
            return candidate
        keep = int(keep * 0.9)
    return TRIMMED_MARK


def recent_history(history: Sequence[ChatTurn], messages: int) -> Sequence[ChatTurn]:
    """The newest ``messages`` of ``history`` (all of them for -1), starting with a question: a
    conversation the model sees never opens with a leftover answer."""
    if messages < 0:
        return history
    recent = list(history[len(history) - messages :]) if messages else []
    while recent and recent[0].role == "assistant":
        recent.pop(0)
    return recent


def assemble_prompt(
    *,
    template: str,
    question: str,
    history: Sequence[ChatTurn],
    variables: Mapping[str, str],
    chunks: Sequence[RetrievedChunk],
    quote: bool,
    counter: TokenCounter,
    budget_tokens: int,
) -> AssembledPrompt:
    """Fits system prompt + history + question into ``budget_tokens``.

    History goes first (oldest first); if the system prompt and the question alone are still too
    long, the lowest-ranked chunks are left out of the knowledge block; a question that does not
    fit even then keeps its end (where the ask usually is), so the model is never sent more than
    its context holds.
    """
    kept_chunks = list(chunks)
    turns = [PromptMessage(t.role, t.content) for t in history if t.content]
    whole = [PromptMessage("system", system_prompt(template, variables, kept_chunks, quote)), *turns]
    whole.append(PromptMessage("user", question))
    if sum(_most_tokens(m) for m in whole) <= budget_tokens:
        # Fits by its length alone: what counting would keep is everything, so nothing is counted.
        return AssembledPrompt(messages=whole, chunks=kept_chunks, dropped_history=0, counter=counter)

    bare_system = PromptMessage("system", system_prompt(template, variables, [], quote))
    room = budget_tokens - _cost(counter, bare_system) - MESSAGE_OVERHEAD_TOKENS
    question_message = PromptMessage("user", fit_text(question, counter, room))
    while True:
        system = PromptMessage("system", system_prompt(template, variables, kept_chunks, quote))
        fixed = _cost(counter, system) + _cost(counter, question_message)
        if fixed <= budget_tokens or not kept_chunks:
            break
        kept_chunks.pop()

    # The newest turns that fit, counted newest first: the older turns of a long conversation
    # (a session keeps up to 100 messages) are never tokenized once the budget is spent.
    room = budget_tokens - fixed
    kept_turns: list[PromptMessage] = []
    kept_costs: list[int] = []
    for message in reversed(turns):
        cost = _cost(counter, message)
        if cost > room:
            break
        room -= cost
        kept_turns.append(message)
        kept_costs.append(cost)
    kept_turns.reverse()
    kept_costs.reverse()
    dropped = len(turns) - len(kept_turns)
    # A conversation the model sees should start with the user, not a leftover answer.
    while kept_turns and kept_turns[0].role == "assistant" and dropped:
        kept_turns.pop(0)
        kept_costs.pop(0)
        dropped += 1
    return AssembledPrompt(
        messages=[system, *kept_turns, question_message],
        chunks=kept_chunks,
        dropped_history=dropped,
        counter=counter,
        counted=fixed + sum(kept_costs),
    )
