"""Serving with the default models imports neither torch nor sentence-transformers, nor pypinyin nor spaCy.

Both were imported only to embed a query with a model that is a lookup table, and held more than half
of a worker's memory (`bench/memory_bench.py`); pypinyin (~55 MB) is needed only to build the reading
tables that the NLU model and the index carry, and spaCy (~65 MB with its command line) only did the
substring search that finds service names. The check runs in a fresh interpreter, since the test
process itself has usually imported them to train models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, secrets, sys
from fastapi.testclient import TestClient
from bot.api.app import create_app
from bot.bootstrap import build_runtime
from bot.config import Settings

runtime = build_runtime(Settings())
with TestClient(create_app(runtime)) as client:
    sender = "web-" + secrets.token_urlsafe(24)
    replies = []
    for text in ("你好", "高龄津贴要带什么材料", "老人去哪吃饭"):
        r = client.post("/api/v1/messages", json={"sender": sender, "text": text, "channel": "web"})
        r.raise_for_status()
        replies.append(" ".join(reply["text"] for reply in r.json()["replies"]))
encoder = runtime.services.retriever.current.encoder
print(json.dumps({"loaded": sorted(m for m in ("torch", "sentence_transformers", "transformers", "pypinyin",
                                                   "spacy") if m in sys.modules),
                  "encoder": type(encoder).__name__, "replies": replies}, ensure_ascii=False))
"""


def test_serving_the_default_models_imports_no_torch(model_dir: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/lean.db",
        "MODEL_DIR": str(model_dir),
        "ENCODER": "",
        "NLU_EMBEDDING": "false",
    }
    from bot.backend.migrate import upgrade

    upgrade(env["DATABASE_URL"])
    # cwd: no .env file of the developer's is read.
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["encoder"] == "StaticEmbeddingEncoder"
    # The resident is still answered: the service question finds its materials.
    assert "高龄津贴" in result["replies"][1]
