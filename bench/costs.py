"""Where an answer's cost goes: CPU seconds per process (from /proc) and a step waterfall (from spans).

Used by bench_completions.py. Nothing here profiles: the CPU figures are the kernel's
utime + stime of each process (and the processes of its session, e.g. a Celery pool) before and
after a measured run; the step times come from the OpenTelemetry spans every ragchat process
already writes when ``RAGCHAT_TRACE_FILE`` is set (one JSON line per finished span).
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Watched:
    """One row of the breakdown: the CPU of these process sessions (or of these pids)."""

    name: str
    sessions: tuple[int, ...] = ()
    pids: tuple[int, ...] = ()
    note: str = ""


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()  # fields from "state" (the 3rd) on


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def pids_named(*names: str) -> tuple[int, ...]:
    return tuple(pid for pid in _all_pids() if _comm(pid) in names)


def cpu_seconds(watched: Iterable[Watched]) -> dict[str, float]:
    """utime + stime (seconds) of every row: its pids, and every process of its sessions."""
    rows = list(watched)
    by_session: dict[int, float] = defaultdict(float)
    by_pid: dict[int, float] = {}
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is None:
            continue
        used = (int(fields[11]) + int(fields[12])) / TICKS_PER_S
        by_session[int(fields[3])] += used
        by_pid[pid] = used
    return {
        row.name: sum(by_session.get(s, 0.0) for s in row.sessions) + sum(by_pid.get(p, 0.0) for p in row.pids)
        for row in rows
    }


def print_cpu_table(
    title: str, watched: list[Watched], before: dict[str, float], after: dict[str, float], answers: int
) -> dict[str, float]:
    """Prints, and returns, the CPU ms per answer of every row (and ``WHOLE_STACK``)."""
    print(f"\n{title}: CPU per answer ({answers} answers; utime+stime from /proc)")
    per_answer: dict[str, float] = {}
    for row in watched:
        per_answer[row.name] = (after[row.name] - before[row.name]) / answers * 1000
        print(f"  {row.name:<28} {per_answer[row.name]:7.2f} ms  {row.note}")
    per_answer[WHOLE_STACK] = sum(per_answer[row.name] for row in watched if _in_stack(row))
    print(f"  {'=> whole stack':<28} {per_answer[WHOLE_STACK]:7.2f} ms per answer")
    return per_answer


WHOLE_STACK = "whole stack"


def _in_stack(row: Watched) -> bool:
    return not row.note.startswith("not the stack")


def print_fixed_and_per_token(title: str, watched: list[Watched], by_length: dict[int, dict[str, float]]) -> None:
    """A least-squares line through (tokens, CPU per answer) of every row: what an answer costs
    before its first token (fixed) and what each token adds."""
    lengths = sorted(by_length)
    mean_n = sum(lengths) / len(lengths)
    spread = sum((n - mean_n) ** 2 for n in lengths)
    print(f"\n{title}: fixed cost per answer and cost per token ({', '.join(map(str, lengths))} tokens)")
    for name in [row.name for row in watched] + [WHOLE_STACK]:
        values = [by_length[n][name] for n in lengths]
        mean_v = sum(values) / len(values)
        slope = sum((n - mean_n) * (v - mean_v) for n, v in zip(lengths, values, strict=True)) / spread
        label = "=> whole stack" if name == WHOLE_STACK else name
        print(f"  {label:<28} fixed {mean_v - slope * mean_n:7.2f} ms   per token {slope * 1000:7.2f} us")


# -- the step waterfall --------------------------------------------------------------------

Span = dict[str, Any]


def read_spans(path: Path) -> list[Span]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _root(trace: list[Span]) -> Span | None:
    roots = [s for s in trace if s["service"] == "gateway" and s["kind"] == "SERVER" and s["parent_id"] is None]
    return min(roots, key=lambda s: s["start_ns"]) if roots else None


def _first(trace: list[Span], service: str, *, kind: str | None = None, contains: str = "") -> Span | None:
    found = [
        s
        for s in trace
        if s["service"] == service and (kind is None or s["kind"] == kind) and contains.lower() in s["name"].lower()
    ]
    return min(found, key=lambda s: s["start_ns"]) if found else None


def _ms(ns: int) -> float:
    return ns / 1e6


def step_times(spans: list[Span], route: str) -> dict[str, list[float]]:
    """Per completion trace: the wall-clock of each step on the path, in ms.

    Steps whose span is missing from a trace are left out of that trace's figures."""
    traces: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        traces[span["trace_id"]].append(span)
    steps: dict[str, list[float]] = defaultdict(list)
    for trace in traces.values():
        root = _root(trace)
        if root is None or root["attributes"].get("http.route") != route:
            continue
        start = root["start_ns"]
        get_chat = _first(trace, "gateway", kind="CLIENT", contains="GetChat")
        append = _first(trace, "gateway", kind="CLIENT", contains="AppendUserMessage")
        publish = _first(trace, "gateway", kind="PRODUCER")
        consume = _first(trace, "inference-worker", kind="CONSUMER")
        llm = _first(trace, "inference-worker", kind="CLIENT", contains="POST")
        first_batch = min(
            (
                s
                for s in trace
                if s["service"] == "inference-worker"
                and s["name"].upper().startswith(("XADD", "EVALSHA", "EVAL", "PIPELINE", "MULTI"))
            ),
            key=lambda s: s["start_ns"],
            default=None,
        )
        store = _first(trace, "inference-worker", kind="CLIENT", contains="StoreAnswer")
        # Before GetChat the gateway authenticates the key and takes its limiter tokens / stream slot.
        before_chat = [
            s
            for s in trace
            if s["service"] == "gateway" and s["kind"] == "CLIENT" and get_chat and s["end_ns"] <= get_chat["start_ns"]
        ]
        if get_chat:
            steps["auth + limiter (root start → GetChat)"].append(_ms(get_chat["start_ns"] - start))
            steps["  of which Redis/Mongo calls"].append(sum(_ms(s["end_ns"] - s["start_ns"]) for s in before_chat))
            steps["GetChat"].append(_ms(get_chat["end_ns"] - get_chat["start_ns"]))
        if append:
            steps["AppendUserMessage"].append(_ms(append["end_ns"] - append["start_ns"]))
        if publish:
            steps["publish + confirm"].append(_ms(publish["end_ns"] - publish["start_ns"]))
        if publish and consume:
            steps["consume (publish start → worker has the job)"].append(_ms(consume["start_ns"] - publish["start_ns"]))
        if consume and llm:
            steps["worker: job → LLM request"].append(_ms(llm["start_ns"] - consume["start_ns"]))
            steps["LLM first byte (request → response headers)"].append(_ms(llm["end_ns"] - llm["start_ns"]))
        if llm and first_batch:
            steps["first Redis batch (LLM headers → XADD done)"].append(_ms(first_batch["end_ns"] - llm["end_ns"]))
        if store:
            steps["StoreAnswer"].append(_ms(store["end_ns"] - store["start_ns"]))
            # Relay: the gateway's part after the worker's last write (final event → response end).
            steps["relay tail (StoreAnswer end → response end)"].append(_ms(root["end_ns"] - store["end_ns"]))
        steps["whole request (gateway server span)"].append(_ms(root["end_ns"] - start))
    return steps


def span_census(spans: list[Span], route: str) -> dict[tuple[str, str, str], list[float]]:
    """Every span name under completion traces, with its durations (ms): what each answer costs in calls."""
    traces: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        traces[span["trace_id"]].append(span)
    census: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for trace in traces.values():
        root = _root(trace)
        if root is None or root["attributes"].get("http.route") != route:
            continue
        for span in trace:
            census[(span["service"], span["kind"], span["name"])].append(_ms(span["end_ns"] - span["start_ns"]))
    return census


def print_steps(steps: dict[str, list[float]], census: dict[tuple[str, str, str], list[float]], traces: int) -> None:
    print(f"\nwall-clock of each step (from the services' spans; {traces} traced answers, tracing on)")
    for name, values in steps.items():
        print(f"  {name:<52} p50={statistics.median(values):7.2f} ms  n={len(values)}")
    print("\n  spans per answer (service kind name: calls per answer, p50 ms)")
    for (service, kind, name), values in sorted(census.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        print(
            f"    {service:<18} {kind:<8} {name[:60]:<60} {len(values) / max(traces, 1):5.1f}  "
            f"{statistics.median(values):7.2f}"
        )


# -- py-spy (optional; not a project dependency) ----------------------------------------------


@dataclass
class Profile:
    name: str
    proc: subprocess.Popen[bytes]
    output: Path


def start_profiles(py_spy: str, stack: Any, title: str) -> list[Profile]:
    """``py-spy record`` (raw collapsed stacks) on the stack's busy processes while a run lasts."""
    out_dir = Path(tempfile.mkdtemp(prefix="ragchat-py-spy-"))
    profiles = []
    for name in ("gateway", "inference-worker", "session-service", "secantusdb"):
        pid = stack.find(name)[0].popen.pid
        output = out_dir / f"{name}.txt"
        command = [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            str(output),
        ]
        profiles.append(
            Profile(
                f"{title.split(' (')[0]}: {name}",
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                output,
            )
        )
    return profiles


def stop_profiles(profiles: list[Profile], top: int = 18) -> None:
    for profile in profiles:
        profile.proc.send_signal(signal.SIGINT)
    for profile in profiles:
        profile.proc.wait(30)
        summarize_profile(profile.name, profile.output, top)


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*?)(?::\d+)?\)$")


def _frame(raw: str) -> str:
    """``func (path/to/file.py:12)`` → ``func (to/file.py)``: lines of one function count together."""
    match = _FRAME.match(raw.strip())
    if not match:
        return raw.strip()
    return f"{match['func']} ({'/'.join(match['file'].split('/')[-2:])})"


def summarize_profile(name: str, path: Path, top: int) -> None:
    """Samples by the innermost frame of ragchat's own code or the library it calls (inclusive)."""
    if not path.exists():
        print(f"\npy-spy {name}: no profile written")
        return
    inclusive: dict[str, int] = defaultdict(int)
    leaf: dict[str, int] = defaultdict(int)
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        leaf[frames[-1]] += count
    # py-spy leaves idle samples out; time inside uvloop's C code shows as Runner.run's own time.
    print(f"\npy-spy {name}: {total} samples (busy only)")
    print("  most time (inclusive) in:")
    for frame, count in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {count / max(total, 1):6.1%}  {frame[:110]}")
    print("  most time (self) in:")
    for frame, count in sorted(leaf.items(), key=lambda kv: -kv[1])[:10]:
        print(f"    {count / max(total, 1):6.1%}  {frame[:110]}")
