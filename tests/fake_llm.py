"""A fake OpenAI-compatible LLM server over real HTTP, for fast and deterministic tests.

Runs on its own thread and event loop (a raw asyncio HTTP/1.1 server with keep-alive, so it is
cheap enough for benchmarks). ``POST /v1/chat/completions`` streams (or returns) a scripted answer
split into word and punctuation tokens; ``delay_s`` per token, ``fail_after`` tokens then the
connection is dropped, ``status`` answers an HTTP error instead. Every request body is recorded.

    fake = FakeLLM().start()
    fake.script("Eiffel", answer="It is in Paris [ID: 0].")
    env = {"RAGCHAT_LLM_BASE_URL": fake.url, "RAGCHAT_LLM_MODEL": "fake-model"}

Unscripted questions get ``Echo: <question>``, so concurrent streams can check for cross-talk.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]|\s+$")
_KNOWLEDGE = re.compile(r"\[ID:(\d+)\][^\n]*\n(.*?)(?=\n\n\[ID:\d+\]|\Z)", re.DOTALL)


def knowledge_index(system_prompt: str, text: str) -> int:
    """The marker number of the knowledge chunk containing ``text`` (-1 if none does)."""
    for match in _KNOWLEDGE.finditer(system_prompt):
        if text in match.group(2):
            return int(match.group(1))
    return -1


def tokenize(text: str) -> list[str]:
    tokens = _TOKEN.findall(text)
    assert "".join(tokens) == text, "tokenize must be lossless"
    return tokens


@dataclass
class Script:
    match: str  # substring of the last user message ("" matches everything)
    answer: str | None = None  # None: echo the question
    delay_s: float | None = None  # None: the server's default
    fail_after: int | None = None  # tokens sent before the connection is dropped
    status: int = 200  # not 200: an OpenAI error body with this status, no stream
    # Text of a knowledge chunk: "{cite}" in the answer becomes that chunk's marker, written loosely
    # ("[ID: n]") as small models do.
    cite: str | None = None


class FakeLLM:
    def __init__(self, delay_s: float = 0.0, model: str = "fake-model") -> None:
        self.delay_s = delay_s
        self.model = model
        self.requests: list[dict[str, Any]] = []
        # The client's local port of the request for each question (which process asked).
        self.peer_ports: dict[str, int] = {}
        # Questions whose paced answer the client stopped reading (closed the connection) mid-way.
        self.abandoned: set[str] = set()
        self._scripts: list[Script] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- control (any thread) ----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, match: str, answer: str | None = None, **options: Any) -> Script:
        entry = Script(match=match, answer=answer, **options)
        with self._lock:
            self._scripts.insert(0, entry)  # the newest script wins
        return entry

    def clear(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def requests_mentioning(self, text: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if any(text in str(m.get("content", "")) for m in r.get("messages", []))]

    def start(self) -> FakeLLM:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-llm", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- server --------------------------------------------------------------------------------
    def _pick(self, question: str) -> Script:
        with self._lock:
            for entry in self._scripts:
                if entry.match in question:
                    return entry
        return Script(match="")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                if method == "POST" and path == "/_fake/script":
                    # Control from another process (benchmarks): {"match", "answer", "delay_s", ...}.
                    self.script(**json.loads(body))
                    await self._send_json(writer, 200, {"ok": True})
                elif method == "POST" and path.rstrip("/").endswith("/chat/completions"):
                    keep = await self._completion(json.loads(body or b"{}"), writer, writer.get_extra_info("peername"))
                    if not keep:
                        return
                else:
                    await self._send_json(writer, 404, {"error": {"message": f"no route {method} {path}"}})
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()

    async def _send_json(self, writer: asyncio.StreamWriter, status: int, data: Any) -> None:
        payload = json.dumps(data).encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        await writer.drain()

    async def _completion(self, request: dict[str, Any], writer: asyncio.StreamWriter, peer: Any = None) -> bool:
        messages = request.get("messages") or []
        question = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        with self._lock:
            self.requests.append(request)
            if peer:
                self.peer_ports[question] = int(peer[1])
        script = self._pick(question)
        if script.status != 200:
            await self._send_json(writer, script.status, {"error": {"message": "scripted failure", "type": "x"}})
            return True
        answer = script.answer if script.answer is not None else f"Echo: {question}"
        if script.cite is not None:
            system = next((str(m.get("content", "")) for m in messages if m.get("role") == "system"), "")
            answer = answer.replace("{cite}", f"[ID: {knowledge_index(system, script.cite)}]")
        tokens = tokenize(answer)
        delay = self.delay_s if script.delay_s is None else script.delay_s
        created = int(time.time())
        usage = {
            "prompt_tokens": sum(len(str(m.get("content", "")).split()) for m in messages),
            "completion_tokens": len(tokens),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not request.get("stream"):
            await self._send_json(
                writer,
                200,
                {
                    "id": "fake",
                    "object": "chat.completion",
                    "created": created,
                    "model": self.model,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
                    ],
                    "usage": usage,
                },
            )
            return True

        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")

        def frame(data: Any) -> bytes:
            return b"data: " + json.dumps(data).encode() + b"\n\n"

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return frame(
                {
                    "id": "fake",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": self.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
            )

        def send(data: bytes) -> None:
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        pending = [chunk({"role": "assistant", "content": ""})]
        for index, token in enumerate(tokens):
            if script.fail_after is not None and index == script.fail_after:
                send(b"".join(pending))
                await writer.drain()
                writer.transport.abort()  # mid-stream failure: the connection just dies
                return False
            pending.append(chunk({"content": token}))
            if delay > 0:
                send(b"".join(pending))
                pending.clear()
                try:
                    await writer.drain()
                    await asyncio.sleep(delay)
                    if writer.transport.is_closing():
                        raise ConnectionResetError
                except ConnectionError:
                    with self._lock:
                        self.abandoned.add(question)
                    return False
            elif len(pending) >= 256:
                send(b"".join(pending))
                pending.clear()
                await writer.drain()
        pending.append(chunk({}, "stop"))
        if (request.get("stream_options") or {}).get("include_usage"):
            pending.append(frame({"id": "fake", "object": "chat.completion.chunk", "choices": [], "usage": usage}))
        pending.append(b"data: [DONE]\n\n")
        send(b"".join(pending))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


# -- a gateway + inference-worker group wired to a fake LLM, on top of the session stack ---------


@dataclass
class CompletionEnv:
    fake: FakeLLM
    group: Any  # ragchat_cli.stack.Stack of gateways and workers (own namespace, own queue)

    @property
    def gateway_url(self) -> str:
        return str(self.group.gateway_url)


def start_completion_group(
    base: Any,
    state_dir: Any,
    fake: FakeLLM,
    *,
    gateways: int = 1,
    workers: int = 1,
    env: dict[str, str] | None = None,
    redis_url: str | None = None,
    amqp_url: str | None = None,
) -> Any:
    """Gateways and workers of their own (own namespace) using ``base``'s services and database
    (and ``base``'s Redis and RabbitMQ unless given others)."""
    from ragchat_cli.stack import Stack, StackConfig

    addresses = {"RAGCHAT_" + name.upper().replace("-", "_") + "_ADDR": addr for name, addr in base.addresses.items()}
    config = StackConfig(
        state_dir=state_dir,
        mongo_url=base.mongo_url,
        service_token=base.config.service_token,
        redis_url=redis_url or base.config.redis_url,
        amqp_url=amqp_url or base.config.amqp_url,
        gateways=gateways,
        workers=workers,
        only=("gateway", "inference-worker"),
        env={
            **addresses,
            "RAGCHAT_LLM_BASE_URL": fake.url,
            "RAGCHAT_LLM_MODEL": fake.model,
            # Generous limits: these tests measure completions, not the limiter.
            "RAGCHAT_RATELIMIT_RPM": "100000",
            "RAGCHAT_RATELIMIT_BURST": "100000",
            "RAGCHAT_RATELIMIT_MAX_STREAMS": "1000",
            **(env or {}),
        },
    )
    return Stack(config).start()


_SHARED: dict[str, CompletionEnv] = {}


def shared_completion_env(base: Any, state_dir: Any) -> CompletionEnv:
    """One fake LLM + one gateway + one worker for every completion test module of a run."""
    if "env" not in _SHARED:
        import atexit

        fake = FakeLLM().start()
        group = start_completion_group(base, state_dir, fake, env={"RAGCHAT_SSE_PING_S": "0.5"})
        atexit.register(fake.stop)
        atexit.register(group.stop)
        _SHARED["env"] = CompletionEnv(fake, group)
    return _SHARED["env"]


def main() -> None:
    """Runs the fake in a process of its own: prints its URL, serves until killed."""
    import argparse
    import signal

    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-s", type=float, default=0.0)
    args = parser.parse_args()
    fake = FakeLLM(delay_s=args.delay_s).start()
    print(fake.url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    fake.stop()


if __name__ == "__main__":
    main()
