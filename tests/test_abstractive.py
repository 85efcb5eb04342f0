"""The optional LLM summary: every kept sentence is grounded in the claims it cites;
the rest are dropped and counted. The model is a fake OpenAI-compatible server on
127.0.0.1 started by the test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from chorus.analyze.abstractive import LLMOptions, check, endpoint, summarize_abstractive
from chorus.errors import ChorusError
from chorus.models import Claim, Support

CLAIMS = [
    Claim("c1", "Talks in Vessby ended on Sunday without agreement.", "single_source", ("a",), 1,
          (Support("a", 0, 50, "Talks in Vessby ended on Sunday without agreement, two union sources said."),)),
    Claim("c2", "Police said 14 people were injured in clashes.", "corroborated", ("a", "b"), 2,
          (Support("a", 60, 110, "Police said 14 people were injured in clashes outside the terminal."),
           Support("b", 0, 40, "Fourteen people were hurt, police said; 14 were taken to hospital."))),
]  # fmt: skip

REPLY = (
    "Talks in Vessby ended on Sunday without agreement, union sources said [C1]. "
    "Police said 14 people were injured in clashes outside the terminal [C2]. "
    "Police said 40 people were injured [C2]. "
    "Mayor Lena Holm blamed the union [C1]. "
    "The strike will surely end next week."
)


class FakeModel(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeModel.requests.append({"path": self.path, "body": body})
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": REPLY}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = HTTPServer(("127.0.0.1", 0), FakeModel)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_grounded_sentences_kept_and_ungrounded_dropped_with_reasons(server):
    result = summarize_abstractive(CLAIMS, LLMOptions(url=server, words=80))
    assert [s.text for s in result.sentences] == [
        "Talks in Vessby ended on Sunday without agreement, union sources said.",
        "Police said 14 people were injured in clashes outside the terminal.",
    ]
    assert result.sentences[1].citations[0].article == "a" and len(result.sentences[1].citations) == 2
    reasons = dict(result.dropped)
    assert reasons["Police said 40 people were injured."] == "number 40 is not in the cited sources"
    assert reasons["Mayor Lena Holm blamed the union."].startswith("name ")
    assert reasons["The strike will surely end next week."] == "cites no claim"
    sent = FakeModel.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert "C2. Police said 14 people" in sent["body"]["messages"][0]["content"]


def test_unreachable_model_is_a_clear_error():
    with pytest.raises(ChorusError, match="did not answer"):
        summarize_abstractive(CLAIMS, LLMOptions(url="http://127.0.0.1:9", timeout=2))


def test_endpoint_forms():
    assert endpoint("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1/chat/completions"
    assert endpoint("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1/chat/completions"


def test_paraphrase_with_too_few_source_words_is_dropped():
    result = check("Negotiators celebrated a historic breakthrough overnight [C1].", CLAIMS, LLMOptions(url="x"))
    assert not result.sentences and "content words" in result.dropped[0][1]
