"""`ragchat dev` — the whole stack on this machine with embedded defaults (what `make run` calls).

Every service runs as its own process on loopback (see ``ragchat_cli.stack``). State lives in
``.ragchat/`` at the checkout root: SecantusDB's data (kept across runs), logs,
``endpoints.json`` (read by ``ragchat keys``, see ``ragchat_cli.endpoints``), the demo key, the
admin token of the gateway's admin API (``admin_token``, kept across runs), and a lock held while
the runner is up. Every process of the stack carries
``RAGCHAT_STATE_DIR=<state dir>`` in its environment, which is how the next start finds and
stops what a crashed runner left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit

import aio_pika
import httpx
from aiormq.exceptions import ChannelNotFoundEntity

from ragchat_cli.endpoints import DEFAULT_MONGO_DB
from ragchat_cli.stack import Stack, StackConfig, free_port, tcp_answers
from ragchat_common.jobs import completion_queue

DEFAULT_GATEWAY_PORT = 9380
DEFAULT_PUBLIC_GRPC_PORT = 9390
DEFAULT_NAMESPACE = "ragchat"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
STATE_DIR_NAME = ".ragchat"
ENDPOINTS_FILE = "endpoints.json"
DEMO_KEY_FILE = "demo_key"
ADMIN_TOKEN_FILE = "admin_token"
LOCK_FILE = "dev.lock"
DEMO_TENANT = "demo"
DEMO_DATASET = "lumio-demo"
DEMO_CHAT = "Lumio support assistant"
DEMO_QUESTION = "How long is the warranty on a Lumio lamp?"
# Short and direct: the local default model is small (135M parameters) and follows a plain
# instruction far better than the long general-purpose default prompt.
DEMO_PROMPT = (
    "Facts about the Lumio desk lamp:\n{knowledge}\n\n"
    "Answer the question in one or two sentences, using only these facts. "
    "If the facts do not answer it, say that you do not know."
)
# Where a broker binary may live when it is not on PATH (Debian puts rabbitmq-server in sbin).
EXTRA_BIN_DIRS = ("/usr/sbin", "/usr/local/sbin")
# The server script itself: Debian's /usr/sbin/rabbitmq-server wraps it to switch to the
# `rabbitmq` user, who cannot write to a state dir under a private home or temp folder.
RABBITMQ_SCRIPT_DIRS = ("/usr/lib/rabbitmq/bin",)


# Started on demand by a RabbitMQ node of ours, but machine-wide and shared by every Erlang node:
# not ours to stop.
SHARED_DAEMONS = frozenset({"epmd"})


class DevError(RuntimeError):
    """A start-up problem the user can fix; shown as one clear message, without a traceback."""


class _Stop(BaseException):
    """Raised by the signal handler; a BaseException so no ``except Exception`` swallows it."""


# Ctrl-C, `kill`, a closed terminal: each stops the runner (and everything it started).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


# -- where the state lives ----------------------------------------------------------------


def _is_checkout(folder: Path) -> bool:
    return (folder / "Makefile").is_file() and (folder / "proto").is_dir() and (folder / "cli" / "ragchat_cli").is_dir()


def checkout_root(start: Path | None = None) -> Path | None:
    """The ragchat checkout holding ``start`` (cwd), else the one this package is installed from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_checkout(folder):
            return folder
    installed_from = Path(__file__).resolve().parents[2]  # editable install: <checkout>/cli/ragchat_cli
    return installed_from if _is_checkout(installed_from) else None


def default_state_dir() -> Path:
    root = checkout_root()
    if root is None:
        raise DevError("not inside a ragchat checkout: run it from the checkout, or pass --state-dir")
    return root / STATE_DIR_NAME


# -- processes of a stack, also those a crashed run left behind ---------------------------


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...); [] when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return []


def pid_alive(pid: int) -> bool:
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"  # a zombie has exited already


def _ancestors() -> set[int]:
    """This process and its parents (a shell that exported RAGCHAT_STATE_DIR is not a leftover)."""
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        fields = _stat(pid)
        pid = int(fields[1]) if len(fields) > 1 else 0
    return pids


def stack_pids(state_dir: Path) -> list[int]:
    """Live processes (not this one or its parents) whose environment names ``state_dir`` as theirs."""
    marker = f"RAGCHAT_STATE_DIR={state_dir}".encode()
    mine = _ancestors()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environ.split(b"\0") and _command_name(entry) not in SHARED_DAEMONS:
            found.append(int(entry.name))
    return found


def _command_name(proc_dir: Path) -> str:
    try:
        return (proc_dir / "comm").read_text().strip()
    except OSError:
        return ""


def stop_leftovers(state_dir: Path, grace_s: float = 10.0) -> tuple[int, list[int]]:
    """Stops what an earlier run that died without cleaning up left running.

    Returns how many processes were found and the pids of those that would not stop.
    """
    pids = stack_pids(state_dir)
    found = len(pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while any(pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = [pid for pid in pids if pid_alive(pid)]
    return found, pids


@contextlib.contextmanager
def runner_lock(state_dir: Path) -> Iterator[None]:
    """One runner per state dir; the kernel drops the lock when the runner dies, however it dies."""
    path = state_dir / LOCK_FILE
    handle: IO[str] = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise DevError(f"another `ragchat dev` (pid {holder}) is running with {state_dir}; stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


# -- ports and brokers -----------------------------------------------------------------------


def ensure_port_free(port: int, setting: str = "RAGCHAT_GATEWAY_PORT") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise DevError(
                f"port {port} on 127.0.0.1 is busy ({exc.strerror}); stop what uses it or set {setting}"
            ) from None


def _port_setting(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        port = int(raw)
    except ValueError:
        raise DevError(f"{name} must be a port number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise DevError(f"{name} must be between 1 and 65535, not {port}")
    return port


def gateway_port() -> int:
    return _port_setting("RAGCHAT_GATEWAY_PORT", DEFAULT_GATEWAY_PORT)


def public_grpc_port() -> int:
    return _port_setting("RAGCHAT_PUBLIC_GRPC_PORT", DEFAULT_PUBLIC_GRPC_PORT)


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    return tcp_answers(parts.hostname or "127.0.0.1", parts.port or default_port)


def _find_binary(name: str, first_in: tuple[str, ...] = ()) -> str | None:
    def in_dirs(dirs: tuple[str, ...]) -> str | None:
        return next((str(Path(d) / name) for d in dirs if os.access(Path(d) / name, os.X_OK)), None)

    return in_dirs(first_in) or shutil.which(name) or in_dirs(EXTRA_BIN_DIRS)


def redis_url(stack: Stack, state_dir: Path) -> str:
    """``RAGCHAT_REDIS_URL`` if set, else the local Redis when it answers, else a Redis of our own."""
    configured = os.environ.get("RAGCHAT_REDIS_URL")
    if configured:
        if not _answers(configured, 6379):
            raise DevError(f"Redis at RAGCHAT_REDIS_URL={configured} does not answer")
        return configured
    if _answers(DEFAULT_REDIS_URL, 6379):
        return DEFAULT_REDIS_URL
    if _find_binary("redis-server") is None:
        raise DevError("Redis does not answer on 127.0.0.1:6379 and redis-server is not installed")
    _note("Redis does not answer on 127.0.0.1:6379: starting a redis-server of its own")
    return start_redis(stack, state_dir / "redis")


def start_redis(stack: Stack, data: Path, *, persistent: bool = False) -> str:
    """A redis-server owned by ``stack`` on a free port; ``persistent``: an fsynced append-only
    file under ``data``, so a restart (``stack.restart``) keeps what was written."""
    binary = _find_binary("redis-server")
    if binary is None:
        raise DevError("redis-server is not installed")
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    durability = ["--appendonly", "yes", "--appendfsync", "always"] if persistent else ["--appendonly", "no"]
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", *durability, "--dir", str(data)]
    stack.start_program("redis", command, port, timeout_s=30)
    return f"redis://127.0.0.1:{port}/0"


def amqp_url(stack: Stack, state_dir: Path) -> str:
    """``RAGCHAT_AMQP_URL`` if set, else the local RabbitMQ when it answers, else a node of our own."""
    configured = os.environ.get("RAGCHAT_AMQP_URL")
    if configured:
        if not _answers(configured, 5672):
            raise DevError(f"RabbitMQ at RAGCHAT_AMQP_URL={configured} does not answer")
        return configured
    if _answers(DEFAULT_AMQP_URL, 5672):
        return DEFAULT_AMQP_URL
    if _find_binary("rabbitmq-server", first_in=RABBITMQ_SCRIPT_DIRS) is None:
        raise DevError("RabbitMQ does not answer on 127.0.0.1:5672 and rabbitmq-server is not installed")
    _note("RabbitMQ does not answer on 127.0.0.1:5672: starting a rabbitmq-server of its own")
    return start_rabbitmq(stack, state_dir / "rabbitmq")


def namespace_workers(amqp_url: str, namespace: str) -> int:
    """How many consumers take the namespace's completion jobs on this broker (0: no queue yet)."""

    async def count() -> int:
        connection = await aio_pika.connect(amqp_url, timeout=5)
        async with connection:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(completion_queue(namespace), passive=True)
            except ChannelNotFoundEntity:
                return 0
            return int(queue.declaration_result.consumer_count or 0)

    return asyncio.run(count())


def refuse_a_namespace_in_use(amqp_url: str, namespace: str, settle_s: float = 5.0) -> None:
    """Two stacks of one namespace on one broker take each other's jobs (an answer is then looked
    for in the other stack's sessions) and the second one's ingest worker cannot start. The
    workers of a run just stopped may take a moment to leave: they get ``settle_s``."""
    deadline = time.monotonic() + settle_s
    while (workers := namespace_workers(amqp_url, namespace)) > 0:
        if time.monotonic() > deadline:
            raise DevError(
                f"namespace {namespace!r} is in use on this RabbitMQ: {workers} worker(s) of another "
                "ragchat stack take its jobs; set RAGCHAT_NAMESPACE to another name to run a second stack"
            )
        time.sleep(0.5)


def start_rabbitmq(stack: Stack, home: Path) -> str:
    """A RabbitMQ node owned by ``stack`` with its own name, ports and files under ``home`` (its
    queues and persistent messages survive ``stack.restart``)."""
    binary = _find_binary("rabbitmq-server", first_in=RABBITMQ_SCRIPT_DIRS)
    if binary is None:
        raise DevError("rabbitmq-server is not installed")
    port, dist_port = free_port(), free_port()
    home.mkdir(parents=True, exist_ok=True)
    # An own node name, ports and files, so it neither needs nor disturbs a system RabbitMQ.
    (home / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{port}\n")
    (home / "enabled_plugins").write_text("[].\n")
    env = {
        "RABBITMQ_NODENAME": f"ragchat-{port}@localhost",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_PID_FILE": str(home / "rabbitmq.pid"),
    }
    stack.start_program("rabbitmq", [binary], port, env=env, timeout_s=120)
    return f"amqp://guest:guest@127.0.0.1:{port}/"


# -- what the user gets: endpoints, a key, demo data ------------------------------------------


def _mongo_db() -> str:
    return os.environ.get("RAGCHAT_MONGO_DB") or DEFAULT_MONGO_DB


def admin_token(state_dir: Path) -> str:
    """The admin token kept in ``state_dir/admin_token`` (only the owner may read it), made on first use."""
    path = state_dir / ADMIN_TOKEN_FILE
    if path.is_file():
        kept = path.read_text().strip()
        if kept:
            return kept
    token = secrets.token_urlsafe(32)
    path.touch()
    path.chmod(0o600)  # before the token is in it
    path.write_text(token + "\n")
    return token


def write_endpoints(stack: Stack, path: Path) -> None:
    env = stack.service_env()
    record = {
        "gateway_url": stack.gateway_url,
        "gateway_urls": stack.gateway_urls,
        "admin_token_file": str(stack.config.state_dir / ADMIN_TOKEN_FILE),
        "grpc_url": stack.grpc_address,
        "mongo_url": stack.mongo_url,
        "mongo_db": _mongo_db(),
        "redis_url": stack.config.redis_url,
        "amqp_url": stack.config.amqp_url,
        "namespace": stack.config.namespace,
        "chat_service_addr": env["RAGCHAT_CHAT_SERVICE_ADDR"],
        "session_service_addr": env["RAGCHAT_SESSION_SERVICE_ADDR"],
        "retrieval_service_addr": env["RAGCHAT_RETRIEVAL_SERVICE_ADDR"],
        "state_dir": str(stack.config.state_dir),
        "pid": os.getpid(),
    }
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(record, indent=2) + "\n")
    partial.replace(path)  # readers never see half a file


def _api(gateway_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=f"{gateway_url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30.0)


class DemoSkipped(RuntimeError):
    """A demo step could not be done (e.g. that API is not there yet); the stack still runs."""


def _ok(response: httpx.Response) -> Any:
    """The ``data`` of a success envelope; raises DemoSkipped with the server's message otherwise."""
    call = f"{response.request.method} {response.request.url.path}"
    try:
        body = response.json()
    except ValueError:
        raise DemoSkipped(f"{call}: HTTP {response.status_code}") from None
    if not isinstance(body, dict) or body.get("code") != 0:
        message = body.get("message") if isinstance(body, dict) else body
        raise DemoSkipped(f"{call}: {message}")
    return body.get("data")


def demo_key(stack: Stack, state_dir: Path) -> str:
    """The demo tenant's key: the one kept from an earlier run while it still works, else a new one."""
    path = state_dir / DEMO_KEY_FILE
    if path.is_file():
        kept = path.read_text().strip()
        with contextlib.suppress(httpx.HTTPError, DemoSkipped), _api(stack.gateway_url, kept) as api:
            _ok(api.get("/chats", params={"page_size": 1}))
            return kept
    from ragchat_cli.keys import mint_key  # imports the gateway's auth domain: only when needed

    key = mint_key(stack.mongo_url, DEMO_TENANT, db_name=_mongo_db())
    path.touch()
    path.chmod(0o600)  # before the key is in it
    path.write_text(key + "\n")
    return key


@dataclass
class Demo:
    chat_id: str | None = None
    dataset_id: str | None = None
    documents: int = 0
    indexed: int = 0  # documents parsed (run DONE) when the banner is printed


def _demo_dataset(api: httpx.Client) -> tuple[str, int]:
    """The demo dataset's id and document count, creating it and uploading the documents if needed."""
    from ragchat_cli.demo import documents

    found: list[dict[str, Any]] = []
    with contextlib.suppress(DemoSkipped):  # RAGFlow answers an unknown name with an error
        found = _ok(api.get("/datasets", params={"name": DEMO_DATASET})) or []
    if found:
        dataset_id, count = str(found[0]["id"]), int(found[0].get("document_count") or 0)
    else:
        created = _ok(api.post("/datasets", json={"name": DEMO_DATASET, "description": "Lumio desk lamp (demo)"}))
        dataset_id, count = str(created["id"]), 0
    if count:
        return dataset_id, count
    files = [("file", (name, content, mime)) for name, content, mime in documents()]
    uploaded = _ok(api.post(f"/datasets/{dataset_id}/documents", files=files))
    document_ids = [str(doc["id"]) for doc in uploaded]
    _ok(api.post(f"/datasets/{dataset_id}/chunks", json={"document_ids": document_ids}))
    return dataset_id, len(document_ids)


def _wait_indexed(api: httpx.Client, dataset_id: str, timeout_s: float, check_alive: Callable[[], None]) -> int:
    """Waits until no demo document is still being parsed, so the printed question finds them.

    Returns how many are indexed (run DONE); a document that failed says why in its progress_msg.
    ``check_alive`` raises when a process of the stack has exited (no use waiting for it).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        check_alive()
        docs = _ok(api.get(f"/datasets/{dataset_id}/documents", params={"page_size": 100}))["docs"]
        runs = [doc.get("run") for doc in docs]
        if all(run in ("DONE", "FAIL", "CANCEL") for run in runs) or time.monotonic() > deadline:
            return runs.count("DONE")
        time.sleep(0.5)


def _chats_named(api: httpx.Client, name: str) -> list[dict[str, Any]]:
    """The tenant's chats of that name, in either RAGFlow dialect of the key (API.md §9.1): a list
    or {"chats": [...]}; unfiltered, since a name filter that matches nothing is an error in 0.22."""
    listed = _ok(api.get("/chats", params={"page_size": 1000}))
    chats = listed.get("chats", []) if isinstance(listed, dict) else listed or []
    return [chat for chat in chats if chat.get("name") == name]


def _demo_chat(api: httpx.Client, dataset_id: str | None) -> str:
    found = _chats_named(api, DEMO_CHAT)
    wanted = [dataset_id] if dataset_id else []
    if found:
        chat = found[0]
        if dataset_id and dataset_id not in (chat.get("dataset_ids") or []):
            _ok(api.put(f"/chats/{chat['id']}", json={"dataset_ids": wanted}))
        return str(chat["id"])
    body = {
        "name": DEMO_CHAT,
        "description": "Answers questions about the Lumio desk lamp from the demo dataset.",
        "dataset_ids": wanted,
        "prompt": {
            "prompt": DEMO_PROMPT,
            "opener": "Hi! Ask me anything about the Lumio desk lamp.",
            # Quoting on: the answer cites its chunks ([ID:n]; inserted after generation when the
            # small local model writes none).
            "show_quote": True,
        },
        "llm": {"frequency_penalty": 0.0, "presence_penalty": 0.0},
    }
    return str(_ok(api.post("/chats", json=body))["id"])


def load_demo(
    gateway_url: str, key: str, index_timeout_s: float = 120.0, check_alive: Callable[[], None] = lambda: None
) -> Demo:
    """Demo dataset (indexed, or given up on after ``index_timeout_s``) and a chat over it; each step
    is skipped with a warning when it cannot be done, since the stack is useful without it."""
    demo = Demo()
    with _api(gateway_url, key) as api:
        try:
            demo.dataset_id, demo.documents = _demo_dataset(api)
            demo.indexed = _wait_indexed(api, demo.dataset_id, index_timeout_s, check_alive)
        except (DemoSkipped, httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            _note(f"warning: demo dataset not loaded: {exc}")
        try:
            demo.chat_id = _demo_chat(api, demo.dataset_id)
        except (DemoSkipped, httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            _note(f"warning: demo chat not created: {exc}")
    return demo


def banner(stack: Stack, key: str | None, demo: Demo) -> str:
    url = stack.gateway_url
    lines = [
        f"ragchat is up (namespace {stack.config.namespace!r}, state and logs in {stack.config.state_dir})",
        f"  gateway: {url}",
        f"  grpc:    {stack.grpc_address} (ragchat.api.v1; reflection on)",
        f"  api key: {key or '(none: see the warning above)'}",
    ]
    if demo.dataset_id:
        lines.append(
            f"  dataset: {DEMO_DATASET} ({demo.dataset_id}), {demo.documents} documents about the Lumio lamp, "
            f"{demo.indexed} indexed"
        )
    if demo.chat_id:
        lines.append(f"  chat:    {DEMO_CHAT} ({demo.chat_id})")
    if key and demo.chat_id:
        payload = json.dumps({"question": DEMO_QUESTION, "stream": False})
        lines += [
            "",
            "Ask the demo chat:",
            f"  curl -s {url}/api/v1/chats/{demo.chat_id}/completions \\",
            f"    -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\",
            f"    -d '{payload}'",
        ]
    elif key:
        lines += ["", "List your chats:", f"  curl -s {url}/api/v1/chats -H 'Authorization: Bearer {key}'"]
    token_file = stack.config.state_dir / ADMIN_TOKEN_FILE
    lines += [
        "",
        f"Admin token (admin API, `ragchat keys`): in {token_file}",
        f'  curl -s {url}/api/v1/admin/keys -H "Authorization: Bearer $(cat {token_file})"',
        "More keys: ragchat keys create --tenant NAME.  Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


# -- the command ------------------------------------------------------------------------------


def _note(message: str) -> None:
    # The terminal may be gone (a group SIGTERM also ends `make` and a pipe's reader): the stop
    # must go on without its messages.
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)


def _raise_if_exited(stack: Stack) -> None:
    """DevError when a process of the stack has exited on its own (the stack is then incomplete)."""
    for proc in stack.processes:
        code = proc.popen.poll()
        if code is not None:
            tail = proc.log_path.read_text(errors="replace")[-2000:] if proc.log_path.exists() else ""
            raise DevError(f"{proc.spec.name} exited with code {code}; last lines of {proc.log_path}:\n{tail}")


def _watch(stack: Stack) -> None:
    """Raises once a process of the stack has exited on its own."""
    while True:
        _raise_if_exited(stack)
        time.sleep(1.0)


def _serve(args: argparse.Namespace) -> int:
    state_dir = (Path(args.state_dir) if args.state_dir else default_state_dir()).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    with runner_lock(state_dir):
        found, survivors = stop_leftovers(state_dir)
        if survivors:
            raise DevError(f"processes {survivors} of an earlier run with {state_dir} would not stop")
        if found:
            _note(f"stopped {found} processes left over by an earlier run")
        endpoints = state_dir / ENDPOINTS_FILE
        endpoints.unlink(missing_ok=True)
        port = gateway_port()
        ensure_port_free(port)
        grpc_port = public_grpc_port()
        ensure_port_free(grpc_port, "RAGCHAT_PUBLIC_GRPC_PORT")
        config = StackConfig(
            state_dir=state_dir,
            mongo_url=os.environ.get("RAGCHAT_MONGO_URL") or None,
            gateway_port=port,
            public_grpc_port=grpc_port,
            namespace=os.environ.get("RAGCHAT_NAMESPACE") or DEFAULT_NAMESPACE,
            ready_timeout_s=args.ready_timeout,
            admin_token=admin_token(state_dir),
        )
        stack = Stack(config)
        try:
            _note(f"starting ragchat; logs in {stack.log_dir}")
            config.redis_url = redis_url(stack, state_dir)
            config.amqp_url = amqp_url(stack, state_dir)
            refuse_a_namespace_in_use(config.amqp_url, config.namespace)
            try:
                stack.start()
            except RuntimeError as exc:
                raise DevError(str(exc)) from None
            write_endpoints(stack, endpoints)
            key: str | None = None
            try:
                key = demo_key(stack, state_dir)
            except Exception as exc:  # the stack is still worth having without a key
                _note(f"warning: no demo key: {type(exc).__name__}: {exc}")
            alive = functools.partial(_raise_if_exited, stack)
            demo = load_demo(stack.gateway_url, key, check_alive=alive) if key and not args.no_demo else Demo()
            print(banner(stack, key, demo), flush=True)
            _watch(stack)
            return 1  # not reached: _watch returns only by raising
        finally:
            _stopping()  # (already so when a signal brought us here)
            _note("stopping ragchat")
            stack.stop()
            endpoints.unlink(missing_ok=True)


def _already_stopping(signum: int, frame: FrameType | None) -> None:
    """A second Ctrl-C or SIGTERM (a group SIGTERM reaches the runner more than once): the stop
    that is under way goes on. A Python handler, not SIG_IGN, so signals that arrived together
    are absorbed quietly."""


def _stopping() -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, _already_stopping)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    # Before raising: a second signal must never interrupt the cleanup this one starts.
    _stopping()
    raise _Stop(signum)


def run(args: argparse.Namespace) -> int:
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stop)
    try:
        return _serve(args)
    except _Stop:
        _note("ragchat stopped")
        return 0
    except DevError as exc:
        _note(f"ragchat dev: {exc}")
        return 1


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "dev",
        help="run the whole stack locally (what `make run` does)",
        description="Starts every ragchat service on loopback with embedded defaults, mints a demo key, "
        "loads a demo dataset, prints how to reach it, and stops everything on Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--state-dir", help="where data, logs and endpoints go (default: <checkout>/.ragchat)")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo dataset and chat")
    parser.add_argument("--ready-timeout", type=float, default=180.0, help="seconds to wait for the services")
    parser.set_defaults(handler=run)
