"""Builds the search index of a copy of an embedded shard, in a process of its own.

`python -m ragchat_retrieval.vectorstore.edge_optimize DIR`: qdrant-edge's optimize() holds the
Python GIL for its whole run (minutes at 100k chunks), so it never runs inside the serving
process; the serving process copies its shard, lets this process index the copy, then swaps.
"""

from __future__ import annotations

import sys

import qdrant_edge as q


def main() -> None:
    shard = q.EdgeShard.load(sys.argv[1])
    shard.optimize()
    shard.flush()
    shard.close()


if __name__ == "__main__":
    main()
