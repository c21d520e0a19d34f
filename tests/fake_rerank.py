"""A fake rerank server over real HTTP: `POST /rerank` in the shape TEI, vLLM, Jina and Cohere share.

A document scores 0.95 when it contains the server's `favourite` word and 0.05 otherwise, so a
test can tell a reranked order from the search's own. `style="tei"` answers TEI's bare list of
`{index, score}` with raw logits instead of `{"results": [{index, relevance_score}]}`. Every
request body is recorded.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeReranker:
    def __init__(self, favourite: str = "rerankme", style: str = "cohere") -> None:
        self.favourite = favourite
        self.style = style
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                if self.path != "/rerank":
                    self.send_response(404)
                    self.end_headers()
                    return
                payload = fake.answer(body)
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, body: dict[str, Any]) -> Any:
        documents = body.get("documents") or body.get("texts") or []
        liked = [self.favourite in str(d).lower() for d in documents]
        if self.style == "tei":
            return [{"index": i, "score": 3.0 if hit else -3.0} for i, hit in enumerate(liked)]
        ranked = sorted(range(len(documents)), key=lambda i: not liked[i])
        return {"results": [{"index": i, "relevance_score": 0.95 if liked[i] else 0.05} for i in ranked]}

    def start(self) -> FakeReranker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
