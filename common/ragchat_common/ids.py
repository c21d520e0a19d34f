"""Identifiers: 32 lower-case hex characters, the shape RAGFlow clients expect."""

import re
import uuid

_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def new_id() -> str:
    return uuid.uuid4().hex


def is_id(value: str) -> bool:
    return bool(_ID_RE.match(value))
