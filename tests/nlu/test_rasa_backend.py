"""The Rasa HTTP backend against a small real HTTP server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.config import Settings
from bot.errors import BackendUnavailable
from bot.nlu import build_parser
from bot.nlu.rasa_backend import RasaHttpNlu

PARSE = {
    "text": "你好",
    "intent": {"name": "greet", "confidence": 0.98},
    "intent_ranking": [{"name": "greet", "confidence": 0.98}, {"name": "thank", "confidence": 0.01}],
    "entities": [],
}


class FakeRasa(BaseHTTPRequestHandler):
    """Answers like Rasa's `/model/parse`; `/broken` paths answer 500 or garbage."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeRasa.requests.append({"path": self.path, "body": body})
        if self.path.startswith("/error"):
            self.send_response(500)
            self.end_headers()
            return
        payload = (
            b"not json" if self.path.startswith("/garbage") else json.dumps({**PARSE, "text": body["text"]}).encode()
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_parse_posts_text_and_returns_rasa_answer(rasa_url: str) -> None:
    nlu = RasaHttpNlu(rasa_url)
    result = nlu.parse("你好")
    assert result["intent"]["name"] == "greet" and result["text"] == "你好"
    assert FakeRasa.requests[-1] == {"path": "/model/parse", "body": {"text": "你好"}}
    nlu.close()


def test_build_parser_picks_rasa_from_settings(rasa_url: str) -> None:
    parser = build_parser(Settings(nlu_backend="rasa", rasa_url=rasa_url + "/"))
    assert parser.parse("在吗")["intent"]["name"] == "greet"


@pytest.mark.parametrize("path", ["/error", "/garbage"])
def test_bad_answers_are_backend_unavailable(rasa_url: str, path: str) -> None:
    with pytest.raises(BackendUnavailable):
        RasaHttpNlu(rasa_url + path).parse("你好")


def test_unreachable_server_is_backend_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendUnavailable):
        RasaHttpNlu(f"http://127.0.0.1:{port}", timeout=1.0).parse("你好")
