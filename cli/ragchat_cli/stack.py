"""Runs the whole ragchat stack as local OS processes on loopback.

Used by ``ragchat dev`` and by the cross-service tests, so both exercise the same wiring.
Each service is its own process (own session, so a stop reaches its children), configured
only through ``RAGCHAT_*`` environment variables, and waited on until it reports ready.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

log = logging.getLogger(__name__)


def _ephemeral_ports() -> range:
    """The kernel's range for the local ports of outgoing connections."""
    try:
        low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# Ports this process handed out: a stack asks for a dozen before its services bind any, and a
# random pick repeated among them (a few in a thousand per stack) failed a service's bind.
_handed_out: set[int] = set()
_handing_out = threading.Lock()


def free_port() -> int:
    """A loopback port that is free now and stays likely free until a service binds it.

    Chosen at random outside the ephemeral range: a port from that range (what binding port 0
    gives) can be taken meanwhile as the local port of any outgoing connection on the machine,
    and a random pick makes stacks started at the same time unlikely to choose the same one.
    Never one this process handed out before.
    """
    ephemeral = _ephemeral_ports()
    outside = range(10000, ephemeral.start) if ephemeral.start > 11000 else range(ephemeral.stop, 65536)
    with _handing_out:
        for _ in range(100):
            port = secrets.choice(outside)
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # everything tried was busy
        sock.bind(("127.0.0.1", 0))
        found: int = sock.getsockname()[1]
        return found


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class ServiceSpec:
    """How to start one service and how to know it is ready."""

    name: str
    module: str
    port_env: str | None  # env var that sets its listening port
    probe: str  # "grpc" (health protocol), "http" (GET /readyz), "tcp" (port answers) or "none"
    extra_args: tuple[str, ...] = ()
    command: tuple[str, ...] = ()  # a program that is not a Python module (databases, brokers)


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("chat-service", "ragchat_chat.main", "RAGCHAT_GRPC_PORT", "grpc"),
    ServiceSpec("session-service", "ragchat_session.main", "RAGCHAT_GRPC_PORT", "grpc"),
    ServiceSpec("retrieval-service", "ragchat_retrieval.main", "RAGCHAT_GRPC_PORT", "grpc"),
    # Celery ingest worker (parse → chunk → embed); talks to retrieval-service, so it starts after it.
    ServiceSpec("ingest-worker", "ragchat_retrieval.ingest.worker", None, "none"),
    ServiceSpec("inference-worker", "ragchat_worker.main", "RAGCHAT_OPS_PORT", "http"),
    ServiceSpec("gateway", "ragchat_gateway.main", "RAGCHAT_GATEWAY_PORT", "http"),
)


@dataclass
class Process:
    spec: ServiceSpec
    popen: subprocess.Popen[bytes]
    port: int | None
    log_path: Path
    env: dict[str, str]


@dataclass
class StackConfig:
    state_dir: Path
    mongo_url: str | None = None  # None: start SecantusDB under state_dir
    redis_url: str = "redis://127.0.0.1:6379/0"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    gateway_port: int = 0  # 0: a free port
    public_grpc_port: int = 0  # the first gateway's public gRPC port (ragchat.api.v1); 0: a free port
    gateways: int = 1
    workers: int = 1
    namespace: str = field(default_factory=lambda: "test-" + secrets.token_hex(4))
    # The secret every internal gRPC call carries (RAGCHAT_SERVICE_TOKEN), new for each stack;
    # a group of extra processes joining a running stack passes that stack's token.
    service_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    env: dict[str, str] = field(default_factory=dict)  # extra RAGCHAT_* for every service
    only: tuple[str, ...] = ()  # start only these services (empty: all)
    # Bearer token of the gateways' admin API (API.md §9.4); a fresh one per stack by default.
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    ready_timeout_s: float = 90.0


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: list[Process] = []
        self.mongo_url = config.mongo_url or ""
        self.addresses: dict[str, str] = {}
        self.gateway_urls: list[str] = []
        self.grpc_addresses: list[str] = []  # host:port of each gateway's public gRPC server
        self.log_dir = config.state_dir / "logs"

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> Stack:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            if not self.config.mongo_url:
                self.mongo_url = self._start_secantus()
            for name in ("chat-service", "session-service", "retrieval-service"):
                self.addresses[name] = f"127.0.0.1:{free_port()}"
            for spec in self._wanted():
                copies = (
                    self.config.gateways
                    if spec.name == "gateway"
                    else self.config.workers
                    if spec.name == "inference-worker"
                    else 1
                )
                for index in range(copies):
                    self._start_service(spec, index)
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM the services, wait for them, then the programs they use (databases, brokers);
        SIGKILL what outlives its grace. In that order a service's shutdown still reaches its
        database: with both signalled at once, a Mongo client's close waited out its server
        selection timeout (the gateway took 3.5 s to stop, not 0.5)."""
        services = [p for p in reversed(self.processes) if not p.spec.command]
        programs = [p for p in reversed(self.processes) if p.spec.command]
        self._stop_all(services, grace_s)
        self._stop_all(programs, grace_s)
        self.processes.clear()

    def _stop_all(self, procs: list[Process], grace_s: float) -> None:
        for proc in procs:
            self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in procs:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %d) outlived its %.0f s of grace; killed", proc.spec.name, proc.popen.pid, grace_s)
                self._signal(proc, signal.SIGKILL)
                proc.popen.wait(timeout=5)

    # -- queries -----------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return self.gateway_urls[0]

    @property
    def grpc_address(self) -> str:
        """host:port of the first gateway's public gRPC API (ragchat.api.v1)."""
        return self.grpc_addresses[0]

    def service_env(self) -> dict[str, str]:
        """The environment a process needs to reach this stack (also used by the CLI)."""
        env = {
            "RAGCHAT_MONGO_URL": self.mongo_url,
            "RAGCHAT_REDIS_URL": self.config.redis_url,
            "RAGCHAT_AMQP_URL": self.config.amqp_url,
            "RAGCHAT_NAMESPACE": self.config.namespace,
            "RAGCHAT_CHAT_SERVICE_ADDR": self.addresses.get("chat-service", ""),
            "RAGCHAT_SESSION_SERVICE_ADDR": self.addresses.get("session-service", ""),
            "RAGCHAT_RETRIEVAL_SERVICE_ADDR": self.addresses.get("retrieval-service", ""),
            "RAGCHAT_STATE_DIR": str(self.config.state_dir),
            "RAGCHAT_SERVICE_TOKEN": self.config.service_token,
        }
        env.update(self.config.env)
        return env

    def find(self, name: str) -> list[Process]:
        return [p for p in self.processes if p.spec.name == name]

    def kill(self, proc: Process, sig: int = signal.SIGKILL) -> int:
        self._signal(proc, sig)
        return proc.popen.wait(timeout=60)

    def restart(self, proc: Process) -> Process:
        """Start a stopped process again with the same port and environment."""
        self.processes.remove(proc)
        new = self._spawn(proc.spec, proc.env, proc.port, proc.log_path)
        self._wait_one(new, time.monotonic() + self.config.ready_timeout_s)
        return new

    def logs(self, name: str) -> str:
        return "\n".join(p.log_path.read_text(errors="replace") for p in self.find(name) if p.log_path.exists())

    # -- internals ---------------------------------------------------------------------
    def _wanted(self) -> list[ServiceSpec]:
        return [s for s in SERVICES if not self.config.only or s.name in self.config.only]

    def start_program(
        self, name: str, command: list[str], port: int, env: dict[str, str] | None = None, timeout_s: float = 60.0
    ) -> Process:
        """Starts a non-Python program (database, broker) owned by this stack; ready when ``port`` answers.

        It is stopped with the services (after them, being started before them). Like the services
        it carries ``RAGCHAT_STATE_DIR``, which tells whose it is if a crashed runner leaves it behind.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        spec = ServiceSpec(name, "", None, "tcp", command=tuple(command))
        full_env = {"RAGCHAT_STATE_DIR": str(self.config.state_dir), **(env or {})}
        proc = self._spawn(spec, full_env, port, self.log_dir / f"{name}.log")
        self._wait_one(proc, time.monotonic() + timeout_s)
        return proc

    def _start_secantus(self) -> str:
        binary = shutil.which("secantusd-py") or str(Path(sys.executable).with_name("secantusd-py"))
        if not Path(binary).exists():
            raise RuntimeError("secantusd-py not found: run `make install` (or set RAGCHAT_MONGO_URL)")
        port = free_port()
        data = self.config.state_dir / "mongo"
        data.mkdir(parents=True, exist_ok=True)
        command = [binary, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)]
        self.start_program("secantusdb", command, port, timeout_s=30)
        # retryWrites=false: SecantusDB slows down sharply with retryable writes.
        return f"mongodb://127.0.0.1:{port}/?retryWrites=false"

    def _start_service(self, spec: ServiceSpec, index: int) -> None:
        env = self.service_env()
        port: int | None = None
        if spec.name in self.addresses:
            port = int(self.addresses[spec.name].rsplit(":", 1)[1])
        elif spec.name == "gateway":
            port = self.config.gateway_port if (index == 0 and self.config.gateway_port) else free_port()
            self.gateway_urls.append(f"http://127.0.0.1:{port}")
            grpc_port = self.config.public_grpc_port if (index == 0 and self.config.public_grpc_port) else free_port()
            env["RAGCHAT_PUBLIC_GRPC_PORT"] = str(grpc_port)
            self.grpc_addresses.append(f"127.0.0.1:{grpc_port}")
        elif spec.port_env:
            port = free_port()
        if spec.port_env and port is not None:
            env[spec.port_env] = str(port)
        if spec.name == "gateway":  # only the gateway holds the admin token
            env["RAGCHAT_ADMIN_TOKEN"] = self.config.admin_token
        if spec.probe == "grpc" or spec.name == "ingest-worker":  # /metrics on a port of their own
            env["RAGCHAT_METRICS_PORT"] = str(free_port())
        suffix = f"-{index}" if index else ""
        self._spawn(spec, env, port, self.log_dir / f"{spec.name}{suffix}.log")

    def _spawn(self, spec: ServiceSpec, env: dict[str, str], port: int | None, log_path: Path) -> Process:
        full_env = {**os.environ, **env}
        with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            popen = subprocess.Popen(
                list(spec.command) or [sys.executable, "-m", spec.module, *spec.extra_args],
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Process(spec, popen, port, log_path, env)
        self.processes.append(proc)
        return proc

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.ready_timeout_s
        for proc in self.processes:
            self._wait_one(proc, deadline)

    def _wait_one(self, proc: Process, deadline: float) -> None:
        while not self._is_ready(proc):
            if proc.popen.poll() is not None:
                tail = proc.log_path.read_text(errors="replace")[-3000:] if proc.log_path.exists() else ""
                raise RuntimeError(f"{proc.spec.name} exited with {proc.popen.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{proc.spec.name} not ready in time; see {proc.log_path}")
            time.sleep(0.2)

    @staticmethod
    def _is_ready(proc: Process) -> bool:
        if proc.spec.probe == "none" or proc.port is None:
            return proc.popen.poll() is None
        if proc.spec.probe == "tcp":
            return tcp_answers("127.0.0.1", proc.port)
        if proc.spec.probe == "grpc":
            try:
                with grpc.insecure_channel(f"127.0.0.1:{proc.port}") as channel:
                    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
            except grpc.RpcError:
                return False
        try:
            return httpx.get(f"http://127.0.0.1:{proc.port}/readyz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    @staticmethod
    def _signal(proc: Process, sig: int) -> None:
        if proc.popen.poll() is not None:
            return
        try:
            os.killpg(proc.popen.pid, sig)
        except ProcessLookupError:
            pass
