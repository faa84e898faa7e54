"""How each change to the local model's graph and session moves its speed and its vectors.

The same all-MiniLM-L6-v2 weights, built and run several ways, one single-threaded session each
(as the embedder runs one per core), one text per call (as int8 runs), over SQuAD paragraphs,
in interleaved rounds (the machine's speed drifts over minutes; each variant's median counts):

- the build before: attention in standard ONNX ops, int8 weights on the full 8 bits,
  onnxruntime's SkipLayerNormalization fusion on;
- then each change on top of the one before: the SkipLayerNormalization fusion off, 7-bit
  weights, and the fused `Attention` op, which is the build the app uses;
- the app's build with the SkipLayerNormalization fusion back on, as a control;
- fp32 before and now.

Agreement is the cosine of each variant's sentence vector (mean-pooled) with the fp32 build
before, the reference. Prints a table and writes bench/results/model_graph.json.

    .venv/bin/python bench/model_graph.py [--texts 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from peers.common import busy_warning, git_state, machine, print_table, write_result

from rag.evaluation import load_squad
from rag.providers.embedders.local import (
    SLOWER_FUSIONS,
    load_tokenizer,
    open_session,
    quantized,
    weights_dir,
)
from rag.providers.embedders.onnx_build import build_bert_onnx

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
COLUMNS = ["variant", "texts/s", "ms/text", "vs before", "min cosine", "mean cosine"]


@dataclass
class Variant:
    name: str
    fused_attention: bool
    precision: str  # "int8" or "fp32"
    seven_bit: bool  # int8 only: reduce_range
    disabled_fusions: tuple[str, ...]


VARIANTS = [
    Variant("int8 before", False, "int8", False, ()),
    Variant("+ no SkipLayerNorm fusion", False, "int8", False, SLOWER_FUSIONS),
    Variant("+ 7-bit weights", False, "int8", True, SLOWER_FUSIONS),
    Variant("+ fused Attention op (app)", True, "int8", True, SLOWER_FUSIONS),
    Variant("fused Attention, SkipLayerNorm fusion on", True, "int8", True, ()),
    Variant("fp32 before (reference)", False, "fp32", False, ()),
    Variant("fp32 now (app)", True, "fp32", False, SLOWER_FUSIONS),
]
REFERENCE = 5  # VARIANTS index: the vectors every variant is compared with


def paragraph_feeds(path: Path, count: int, max_tokens: int) -> list[dict[str, np.ndarray]]:
    """The first `count` SQuAD paragraphs that fit the model, tokenized as the embedder does."""
    tokenizer = load_tokenizer(weights_dir())
    documents, _ = load_squad(path)
    paragraphs = [document.pages[0].text for document in documents]
    feeds = []
    for encoding in tokenizer.encode_batch(paragraphs[: count * 2]):
        if len(encoding.ids) <= max_tokens and len(feeds) < count:
            ids = np.array([encoding.ids], dtype=np.int64)
            feeds.append({"input_ids": ids, "attention_mask": np.ones_like(ids),
                          "token_type_ids": np.zeros_like(ids)})
    return feeds


def build(variant: Variant, folder: Path) -> Path:
    fp32 = folder / f"{'fused' if variant.fused_attention else 'standard'}.fp32.onnx"
    if not fp32.exists():
        build_bert_onnx(weights_dir(), fp32, variant.fused_attention)
    if variant.precision == "fp32":
        return fp32
    bits = 7 if variant.seven_bit else 8
    return quantized(fp32, fp32.with_name(f"{fp32.stem}.int8-{bits}.onnx"), variant.seven_bit)


def vectors(session, feeds: list[dict[str, np.ndarray]]) -> np.ndarray:
    pooled = np.vstack([session.run(None, f)[0].mean(axis=1) for f in feeds])
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    busy_warning(load_at_start)
    feeds = paragraph_feeds(args.squad, args.texts, 256)
    tokens = sum(f["input_ids"].size for f in feeds)
    print(f"{len(feeds)} SQuAD paragraphs, {tokens / len(feeds):.0f} tokens each on average")
    with tempfile.TemporaryDirectory() as tmp:
        sessions = [open_session(build(v, Path(tmp)), 1, v.disabled_fusions) for v in VARIANTS]
        got = [vectors(s, feeds) for s in sessions]  # also the warm-up
        seconds: list[list[float]] = [[] for _ in VARIANTS]
        for round_ in range(args.repeats):
            for n, session in enumerate(sessions):
                started = time.perf_counter()
                for f in feeds:
                    session.run(None, f)
                seconds[n].append(time.perf_counter() - started)
            print(f"  round {round_ + 1}: " + ", ".join(
                f"{len(feeds) / s[-1]:.1f}" for s in seconds) + " texts/s", flush=True)
    reference = got[REFERENCE]
    rows = []
    for variant, times, vecs in zip(VARIANTS, seconds, got, strict=True):
        median = statistics.median(times)
        cosine = (vecs * reference).sum(axis=1)
        before = next(t for v, t in zip(VARIANTS, seconds, strict=True)
                      if v.precision == variant.precision)
        rows.append({"variant": variant.name, "precision": variant.precision,
                     "texts_per_s": round(len(feeds) / median, 2),
                     "ms_per_text": round(median / len(feeds) * 1000, 2),
                     "speed_vs_before": round(statistics.median(before) / median, 3),
                     "cosine_min": round(float(cosine.min()), 5),
                     "cosine_mean": round(float(cosine.mean()), 5),
                     "seconds_each": [round(t, 3) for t in times]})
    print_table(COLUMNS, [[r["variant"], f"{r['texts_per_s']:.1f}", f"{r['ms_per_text']:.1f}",
                           f"{r['speed_vs_before']:.2f}x", f"{r['cosine_min']:.4f}",
                           f"{r['cosine_mean']:.4f}"] for r in rows])
    write_result("model_graph", {
        "texts": len(feeds), "tokens_mean": round(tokens / len(feeds), 1),
        "repeats": args.repeats, "threads": 1, "results": rows,
        "machine": machine(False, load_at_start), "git": git_state(),
    })


if __name__ == "__main__":
    main()
