"""The two embedders a peer pipeline can be given: our ONNX one, or sentence-transformers.

Runs under .venv-peers only. The ONNX core is our `LocalOnnxEmbedder` itself (same graph,
session options and length-sorted batches), so a peer differs from us only in its pipeline.
The PyTorch model is all-MiniLM-L6-v2 from the same local weights, never from a hub.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.providers.embedders.local import LocalOnnxEmbedder, load_tokenizer, weights_dir
from rag.settings import Settings


class OnnxCore:
    """Our embedder with the silent truncation the peers' own embedders apply.

    Ours refuses a text over the model's 256 tokens (our chunker never makes one); a peer's
    character splitter can, and sentence-transformers would cut it to 256 tokens. Doing the same
    keeps the peers running; the count of cut texts is reported.
    """

    def __init__(self, settings: Settings) -> None:
        self.embedder = LocalOnnxEmbedder(settings.resolved_model_dir, settings.embed_batch_size)
        self.limit = self.embedder.max_tokens - 2  # room for [CLS] and [SEP]
        self.tokenizer = load_tokenizer(weights_dir())
        self.truncated = 0

    def fit(self, text: str) -> str:
        """`text`, cut at a token boundary if the model could not read it whole."""
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        if len(offsets) <= self.limit:
            return text
        self.truncated += 1
        keep = self.limit
        while keep > 0:  # a cut inside a word can re-tokenise longer: step back until it fits
            cut = text[: offsets[keep - 1][1]]
            if len(self.tokenizer.encode(cut, add_special_tokens=False).ids) <= self.limit:
                return cut
            keep -= 8
        return ""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.embed_documents([self.fit(t) for t in texts])


ST_FILES = ("modules.json", "1_Pooling/config.json", "sentence_bert_config.json")


def st_model_folder(workdir: Path) -> Path:
    """A sentence-transformers folder for all-MiniLM-L6-v2 built from the local weights.

    The weights package ships sentence-transformers' configuration (mean pooling, then
    normalise), so its folder is used as it is; a copy lacking it gets the same modules
    written into a folder under `workdir`.
    """
    source = weights_dir()
    if all((source / name).exists() for name in ST_FILES):
        return source
    folder = Path(tempfile.mkdtemp(prefix="st-minilm-", dir=workdir))
    for item in source.iterdir():
        if item.is_file():
            (folder / item.name).symlink_to(item)
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    config = json.loads((source / "config.json").read_text())
    pooling = {"word_embedding_dimension": config["hidden_size"],
               "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
               "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    if not (folder / "sentence_bert_config.json").exists():
        (folder / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": 256, "do_lower_case": False}))
    return folder
