"""Follow-up questions in a conversation, answered offline: what the search is given.

CoQA's questions are conversations about one story ("Who was hungry?" / "Was he afraid?" /
"What could he hear?"). The development sets keep only those that stand alone; this benchmark
takes the others, the follow-ups, with the turns before them, from the same stories
(BIG-bench's copy, as `bench/devsets.py` reads it), and searches each story collection
(data/eval/coqa-<style>.json, every passage) three ways:

- `alone`: the follow-up as asked;
- `previous`: with the previous question's terms when it reads as a follow-up;
- `carried`: what the app searches without an LLM (`rag.answering.followup.carry_over`): the
  terms of the questions it leans on, back through the run of follow-ups.

For each: hit@1 and hit@5 of the passage holding the answer, and the share of extractive
answers holding the gold span. No peer does this offline (their follow-ups are rewritten by
an LLM), so the baselines are the first two rows.

Carrying must not hurt a question that changes the subject, so a second set asks each
story's first question (which stands alone) after the whole conversation about the story
before it, of the same style: `alone` is then the right search, and `carried` should lose
as little as it can.

    .venv/bin/python bench/followups.py [--bigbench SDIST] [--per-style N]

Without --bigbench the sdist is fetched with `pip download`. Prints a table and writes
bench/results/followups.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import devsets  # noqa: E402

from ingest.pipeline import IngestPipeline  # noqa: E402
from rag.answering.followup import carry_over, is_follow_up  # noqa: E402
from rag.evaluation.metrics import first_rank, rank_metrics  # noqa: E402
from rag.evaluation.run import answer_rates, eval_retriever  # noqa: E402
from rag.evaluation.squad import Question, load_squad, paragraph_source  # noqa: E402
from rag.registry import make_embedder  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.stores.edge import EdgeStore, open_edge_client  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "followups.json"
Turns = list[dict[str, str]]


def follow_ups(sdist: Path) -> list[dict]:
    """Every follow-up with a span answer in its passage: style, gold source, question, the
    conversation before it (questions and CoQA's answers) and the answer."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(devsets.COQA_MEMBER))
        stories = json.load(tar.extractfile(member))["data"]  # type: ignore[arg-type]
    found = []
    for story in (s for s in stories if s["source"] in devsets.COQA_DOMAINS):
        parts = devsets.passages(story["story"])
        answers = {a["turn_id"]: a for a in story["answers"]}
        history: Turns = []
        for q in story["questions"]:
            answer = answers.get(q["turn_id"])
            question = q["input_text"].strip()
            asked = list(history)
            history += [{"role": "user", "content": question},
                        {"role": "assistant", "content": (answer or {}).get("input_text", "")}]
            if answer is None or devsets.stands_alone(question, q["turn_id"]):
                continue
            text = answer["input_text"].strip().rstrip(".").strip()
            if text.lower() in devsets._NO_SPAN or not text or answer["span_start"] < 0:
                continue
            index = max(i for i, (start, _) in enumerate(parts)
                        if start <= max(answer["span_start"], parts[0][0]))
            if text.lower() not in parts[index][1].lower():
                continue
            found.append({"style": story["source"], "question": question, "history": asked,
                          "answer": text,
                          "gold": paragraph_source(f"{story['source']} {story['filename']}",
                                                   index)})
    return found


def new_topics(sdist: Path) -> list[dict]:
    """Each story's first question with a span answer in its passage, the conversation about
    the story before it (same style) as its history."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(devsets.COQA_MEMBER))
        stories = json.load(tar.extractfile(member))["data"]  # type: ignore[arg-type]
    found, last = [], {}
    for story in (s for s in stories if s["source"] in devsets.COQA_DOMAINS):
        style, parts = story["source"], devsets.passages(story["story"])
        answers = {a["turn_id"]: a for a in story["answers"]}
        first, answer = story["questions"][0], answers.get(1)
        text = (answer or {}).get("input_text", "").strip().rstrip(".").strip()
        if (style in last and answer is not None and text
                and text.lower() not in devsets._NO_SPAN and answer["span_start"] >= 0):
            index = max(i for i, (start, _) in enumerate(parts)
                        if start <= max(answer["span_start"], parts[0][0]))
            if text.lower() in parts[index][1].lower():
                found.append({"style": style, "question": first["input_text"].strip(),
                              "history": last[style], "answer": text,
                              "gold": paragraph_source(f"{style} {story['filename']}",
                                                       index)})
        last[style] = [turn for q in story["questions"] for turn in (
            {"role": "user", "content": q["input_text"].strip()},
            {"role": "assistant",
             "content": (answers.get(q["turn_id"]) or {}).get("input_text", "")})]
    return found


def previous_only(question: str, history: Turns) -> str:
    previous = next(t["content"] for t in reversed(history) if t["role"] == "user")
    return f"{question} ({previous})" if is_follow_up(question, history) else question


WAYS: dict[str, Callable[[str, Turns], str]] = {
    "alone": lambda question, _history: question,
    "previous": previous_only,
    "carried": carry_over,
}


def run_style(style: str, sets: dict[str, list[dict]], embedder) -> list[dict]:
    documents, _ = load_squad(ROOT / "data" / "eval" / f"coqa-{style}.json")
    rows = []
    with tempfile.TemporaryDirectory(prefix="followups-") as tmp:
        store = EdgeStore(open_edge_client(tmp), "eval", embedder.name, embedder.dimension)
        try:
            store.ensure_collection()
            for result in IngestPipeline(embedder, store, 200, 30).ingest_documents(documents):
                if result.status == "failed":
                    raise RuntimeError(result.error)
            retriever = eval_retriever(embedder, store)
            for kind, items in sets.items():
                rows += measure(style, kind, items, retriever, embedder)
        finally:
            store.close()
    return rows


def measure(style: str, kind: str, items: list[dict], retriever, embedder) -> list[dict]:
    questions = [Question(f["question"], f["gold"], (f["answer"],)) for f in items]
    rows = []
    for way, build in WAYS.items():
        started = time.perf_counter()
        queries = [build(f["question"], f["history"]) for f in items]
        hits = [retriever.retrieve(query, 10).hits for query in queries]
        ranks = [first_rank([h.source for h in top], f["gold"])
                 for f, top in zip(items, hits, strict=True)]
        metrics = rank_metrics(ranks)
        answers = answer_rates(embedder, questions, [top[:5] for top in hits],
                               lambda h: h.source, [f["gold"] for f in items],
                               searched=queries)
        rows.append({"style": style, "set": kind, "way": way, "questions": len(items),
                     "hit@1": round(metrics["hit@1"], 3), "hit@5": round(metrics["hit@5"], 3),
                     "answer_span_rate": round(answers["answer_span_rate"], 3),
                     "seconds": round(time.perf_counter() - started, 1)})
        print(rows[-1], flush=True)
    return rows


def show(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Follow-ups and new subjects: the gold passage in the search's top 1 "
                        "and 5")
    for column in ("style", "set", "questions", "way", "hit@1", "hit@5", "answer span rate",
                   "hit@5 vs previous"):
        table.add_column(column)
    base = {(r["style"], r["set"]): r["hit@5"] for r in rows if r["way"] == "previous"}
    for r in rows:
        table.add_row(r["style"], r["set"], str(r["questions"]), r["way"], f"{r['hit@1']:.3f}",
                      f"{r['hit@5']:.3f}", f"{r['answer_span_rate']:.3f}",
                      f"{r['hit@5'] - base[(r['style'], r['set'])]:+.3f}")
    Console().print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bigbench", type=Path, help="the bigbench sdist (.tar.gz)")
    parser.add_argument("--per-style", type=int, help="at most this many follow-ups a style")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="followups-") as tmp:
        sdist = args.bigbench or devsets.fetch_bigbench(Path(tmp))
        items, subjects = follow_ups(sdist), new_topics(sdist)
    embedder = make_embedder(load_settings())
    rows = []
    for style in devsets.COQA_DOMAINS:
        rows += run_style(style, {
            "follow-up": [f for f in items if f["style"] == style][:args.per_style],
            "new subject": [f for f in subjects if f["style"] == style][:args.per_style]},
            embedder)
    show(rows)
    RESULTS.write_text(json.dumps({
        "benchmark": "followups", "machine": f"{platform.machine()}, Python "
        f"{platform.python_version()}", "embedder": embedder.name, "rows": rows},
        indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
