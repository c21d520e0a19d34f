"""How chunks map onto Qdrant points, the same for both adapters."""

from __future__ import annotations

import uuid
from typing import Any

# Payload fields with a keyword index (tenant_id has its own, a tenant index).
KEYWORD_FIELDS = ("dataset_id", "document_id", "run_id")


def point_id(chunk_id: str) -> str:
    return str(uuid.UUID(hex=chunk_id))


def chunk_id(pid: Any) -> str:
    # Point ids are the canonical UUID form of 32-hex chunk ids (point_id). The embedded engine
    # hands them back as uuid.UUID, whose hex is the chunk id; qdrant-client as strings, where
    # dropping the dashes is ~10x cheaper than parsing. Either shows at top_k 1024.
    return pid.hex if isinstance(pid, uuid.UUID) else str(pid).replace("-", "")
