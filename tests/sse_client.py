"""A client of ragchat's answer streams for the tests: reads SSE events as they arrive, tracks the
last event id, and puts an answer together the way API.md §5/§9.2 tells a client to (a ``reset``
voids the text so far)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Event:
    id: str | None
    data: Any  # parsed JSON, or the string "[DONE]"


@dataclass
class Answer:
    """What a client holds after reading (parts of) one answer's streams."""

    text: str = ""
    events: list[Event] = field(default_factory=list)
    last_event_id: str | None = None
    resets: int = 0
    final: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    finished: bool = False  # saw `data: [DONE]`
    message_id: str = ""
    session_id: str = ""

    def feed(self, event: Event) -> None:
        self.events.append(event)
        if event.id is not None:
            self.last_event_id = event.id
        if event.data == "[DONE]":
            self.finished = True
            return
        body = event.data
        if body.get("data") is True:
            return
        if body.get("code") != 0:
            self.error = body
            self.message_id = body["data"].get("id", self.message_id)
            self.session_id = body["data"].get("session_id", self.session_id)
            return
        data = body["data"]
        self.message_id = data.get("id", self.message_id)
        self.session_id = data.get("session_id", self.session_id)
        if data.get("reset"):
            self.resets += 1
            self.text = ""
        elif data.get("final"):
            self.final = data
            if data.get("answer"):  # only when it is the stored answer alone: the whole text
                self.text = data["answer"]
        else:
            self.text += data.get("answer", "")

    @property
    def seq(self) -> int:
        assert self.last_event_id is not None
        return int(self.last_event_id.rsplit(":", 1)[1])


def events(response: httpx.Response) -> Iterator[Event]:
    """The events of an SSE body as they arrive (comments skipped)."""
    event_id: str | None = None
    data: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if data:
                payload = "\n".join(data)
                yield Event(event_id, payload if payload == "[DONE]" else json.loads(payload))
            event_id, data = None, []
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])


def read(response: httpx.Response, answer: Answer, *, deltas: int | None = None) -> Answer:
    """Reads into ``answer`` until ``[DONE]``, or until ``deltas`` text events have arrived (and
    can be called again on the same response to read on)."""
    seen = 0
    for event in response.extensions.setdefault("sse_events", events(response)):
        answer.feed(event)
        if isinstance(event.data, dict) and isinstance(event.data.get("data"), dict):
            if event.data["data"].get("answer") and not event.data["data"].get("final"):
                seen += 1
        if answer.finished or (deltas is not None and seen >= deltas):
            break
    return answer


def message_path(chat_id: str, session_id: str, message_id: str) -> str:
    return f"/chats/{chat_id}/sessions/{session_id}/messages/{message_id}"


def resume(
    client: httpx.Client, chat_id: str, answer: Answer, *, deltas: int | None = None, base_url: str | None = None
) -> Answer:
    """Reconnects with ``Last-Event-ID`` (to ``base_url``: another gateway) and reads on."""
    headers = {"Last-Event-ID": answer.last_event_id} if answer.last_event_id else {}
    url = message_path(chat_id, answer.session_id, answer.message_id) + "/events"
    if base_url is not None:
        url = base_url + "/api/v1" + url
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.read()
        return read(response, answer, deltas=deltas)


async def aevents(response: httpx.Response) -> AsyncIterator[Event]:
    event_id: str | None = None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                payload = "\n".join(data)
                yield Event(event_id, payload if payload == "[DONE]" else json.loads(payload))
            event_id, data = None, []
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])


async def aread(response: httpx.Response, answer: Answer, *, deltas: int | None = None) -> Answer:
    seen = 0
    async for event in response.extensions.setdefault("sse_events", aevents(response)):
        answer.feed(event)
        if isinstance(event.data, dict) and isinstance(event.data.get("data"), dict):
            if event.data["data"].get("answer") and not event.data["data"].get("final"):
                seen += 1
        if answer.finished or (deltas is not None and seen >= deltas):
            break
    return answer
