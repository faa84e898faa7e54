"""Rebuild the development sets in data/eval/ from the packages that ship their sources.

Every set is a small SQuAD v1.1-format file (`rag eval` reads it as it reads SQuAD dev), each of
one style that is not encyclopedia prose:

- `coqa-<domain>`: CoQA's test stories as BIG-bench ships them (PyPI sdist `bigbench`), one set
  per domain: reddit (informal writing), science (textbook), cnn (news), gutenberg (literature),
  race (exam passages). Each story is cut into passages of a few paragraphs; a question's gold
  passage is the one holding its answer. CoQA questions are a conversation, so only those that
  stand alone are kept: the first of each story, and later ones with no pronoun pointing back.
  Yes/no answers and answers that are not a span of the passage are left out.
- `python-faq`: the Python FAQ (Debian package `python3.11-doc`, reST sources): each question
  heading is a question, the answer under it the gold passage (the heading itself is not in the
  passage). No answer spans: retrieval only.

    .venv/bin/python bench/devsets.py [--bigbench SDIST] [--python-doc DEB] [--per-set N]

Without --bigbench/--python-doc the packages are fetched with `pip download` and
`apt-get download` into a temporary folder. Sources and licences: data/SOURCES.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pysbd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "eval"
COQA_MEMBER = "bigbench/benchmark_tasks/coqa_conversational_question_answering/coqa.test.json"
COQA_DOMAINS = ["reddit", "science", "cnn", "gutenberg", "race"]
FAQ_DIR = "usr/share/doc/python3.11/html/_sources/faq"
PASSAGE_WORDS = (60, 150)  # a passage grows to the lower bound, never past the upper one
_BACKREF = re.compile(r"\b(he|she|it|they|him|her|them|his|hers|its|their|theirs|this|that|"
                      r"these|those|there|then|else|also|too|other)\b", re.IGNORECASE)
_NO_SPAN = {"yes", "no", "unknown"}
_segmenter = pysbd.Segmenter(language="en", clean=False)


def fetch_bigbench(folder: Path) -> Path:
    download = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                "bigbench==1.0.0", "-d", str(folder)]
    try:
        subprocess.run(download, check=True)
    except subprocess.CalledProcessError:
        # pip 26 refuses the sdist's metadata for a direct-URL dependency (never installed
        # here: only its task files are read); pip 25, beside this one, downloads it
        older = folder / "pip-25"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target",
                        str(older), "pip<26"], check=True)
        try:
            subprocess.run(download, check=True, env={**os.environ, "PYTHONPATH": str(older)})
        except subprocess.CalledProcessError:
            raise SystemExit(
                "bigbench 1.0.0 could not be downloaded (pip's reason is above; an index may "
                "no longer offer it): pass --bigbench with a copy of bigbench-1.0.0.tar.gz. "
                "The sets already built in data/eval/ need no download.") from None
    return next(folder.glob("bigbench-*.tar.gz"))


def fetch_python_doc(folder: Path) -> Path:
    subprocess.run(["apt-get", "download", "python3.11-doc"], check=True, cwd=folder)
    return next(folder.glob("python3.11-doc_*.deb"))


def passages(story: str) -> list[tuple[int, str]]:
    """(offset, text) passages of a story: paragraphs, long ones cut at sentences, merged until
    each has PASSAGE_WORDS[0] words (never more than PASSAGE_WORDS[1])."""
    units: list[tuple[int, str]] = []
    for match in re.finditer(r"[^\n]+", story):
        paragraph = match.group()
        if not paragraph.strip():
            continue
        if len(paragraph.split()) <= PASSAGE_WORDS[1]:
            units.append((match.start(), paragraph))
            continue
        offset = match.start()
        for sentence in _segmenter.segment(paragraph):
            start = story.find(sentence, offset)
            units.append((start, sentence))
            offset = start + len(sentence)
    merged: list[tuple[int, int]] = []  # (start, end) in the story
    for start, text in units:
        end = start + len(text)
        if merged:
            first, last = merged[-1]
            words = len(story[first:last].split())
            if words < PASSAGE_WORDS[0] and words + len(text.split()) <= PASSAGE_WORDS[1]:
                merged[-1] = (first, end)
                continue
        merged.append((start, end))
    # a short tail joins its predecessor
    if len(merged) > 1 and len(story[merged[-1][0]:merged[-1][1]].split()) < PASSAGE_WORDS[0] / 2:
        tail = merged.pop()
        merged[-1] = (merged[-1][0], tail[1])
    return [(s, " ".join(story[s:e].split())) for s, e in merged]


def stands_alone(question: str, turn: int) -> bool:
    return turn == 1 or (not _BACKREF.search(question) and len(question.split()) >= 4)


def coqa_sets(sdist: Path, per_set: int) -> dict[str, dict]:
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(COQA_MEMBER))
        stories = json.load(tar.extractfile(member))["data"]  # type: ignore[arg-type]
    sets = {}
    for domain in COQA_DOMAINS:
        articles, total = [], 0
        for story in (s for s in stories if s["source"] == domain):
            parts = passages(story["story"])
            paragraphs = [{"context": text, "qas": []} for _, text in parts]
            answers = {a["turn_id"]: a for a in story["answers"]}
            for q in story["questions"]:
                answer = answers.get(q["turn_id"])
                if answer is None or not stands_alone(q["input_text"], q["turn_id"]):
                    continue
                text = answer["input_text"].strip().rstrip(".").strip()
                if text.lower() in _NO_SPAN or not text or answer["span_start"] < 0:
                    continue
                # the gold passage holds the rationale's start; the answer must be in it
                index = max(i for i, (start, _) in enumerate(parts)
                            if start <= max(answer["span_start"], parts[0][0]))
                context = paragraphs[index]["context"]
                at = context.lower().find(text.lower())
                if at < 0:
                    continue
                paragraphs[index]["qas"].append({
                    "id": f"{story['id']}-{q['turn_id']}", "question": q["input_text"].strip(),
                    "answers": [{"text": context[at:at + len(text)], "answer_start": at}]})
                total += 1
            articles.append({"title": f"{domain} {story['filename']}",
                             "paragraphs": paragraphs})
        sets[f"coqa-{domain}"] = _sample(articles, per_set)
    return sets


def _sample(articles: list[dict], per_set: int) -> dict:
    """At most `per_set` questions, chosen evenly at random (seeded); every passage stays, so
    the search still has to pick the gold one among all of them."""
    qas = [(a, p, q) for a in range(len(articles)) for p, para in
           enumerate(articles[a]["paragraphs"]) for q in range(len(para["qas"]))]
    keep = set(random.Random(18).sample(qas, per_set)) if len(qas) > per_set else set(qas)
    for a, article in enumerate(articles):
        for p, para in enumerate(article["paragraphs"]):
            para["qas"] = [q for i, q in enumerate(para["qas"]) if (a, p, i) in keep]
    return {"version": "1.1", "data": articles}


_ROLE = re.compile(r":[a-z:]+:`([^`<]*?)\s*(?:<[^>]*>)?`")  # :ref:`text <target>` → text
_LINK = re.compile(r"`([^`<]*?)\s*<[^>]*>`_+")
_HEADING_RULE = re.compile(r"^([=\-~^*#\"'])\1{3,}\s*$")


def _plain(rst: str) -> str:
    """reST to readable text: roles, links and literals unwrapped, directives dropped."""
    lines = [line for line in rst.splitlines() if not line.lstrip().startswith(".. ")]
    text = "\n".join(lines)
    text = _ROLE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("``", "").replace("::", ":")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def faq_set(deb: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
        files = sorted((Path(tmp) / FAQ_DIR).glob("*.rst.txt"))
        articles = []
        for path in files:
            if path.name == "index.rst.txt":
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            title = next(lines[i - 1] for i in range(1, len(lines))
                         if _HEADING_RULE.match(lines[i]) and lines[i - 1].strip()
                         and not _HEADING_RULE.match(lines[i - 1]))
            headings = [i - 1 for i in range(1, len(lines))
                        if _HEADING_RULE.match(lines[i]) and lines[i - 1].strip()
                        and not _HEADING_RULE.match(lines[i - 1])]
            paragraphs = []
            for n, h in enumerate(headings):
                question = lines[h].strip()
                end = headings[n + 1] if n + 1 < len(headings) else len(lines)
                body = _plain("\n".join(lines[h + 2:end]))
                if not question.endswith("?") or len(body.split()) < 15:
                    continue
                paragraphs.append({"context": body, "qas": [{
                    "id": f"{path.name.split('.')[0]}-{n}", "question": question,
                    "answers": []}]})
            articles.append({"title": title.strip(), "paragraphs": paragraphs})
    return {"version": "1.1", "data": articles}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bigbench", type=Path, help="the bigbench sdist (.tar.gz)")
    parser.add_argument("--python-doc", type=Path, help="the python3.11-doc .deb")
    parser.add_argument("--per-set", type=int, default=500, help="most questions per set")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="devsets-") as tmp:
        sdist = args.bigbench or fetch_bigbench(Path(tmp))
        deb = args.python_doc or fetch_python_doc(Path(tmp))
        sets = {**coqa_sets(sdist, args.per_set), "python-faq": faq_set(deb)}
    for name, data in sets.items():
        path = OUT / f"{name}.json"
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        path.write_text(text + "\n", encoding="utf-8")
        paras = sum(len(a["paragraphs"]) for a in data["data"])
        qs = sum(len(p["qas"]) for a in data["data"] for p in a["paragraphs"])
        print(f"{name}: {paras} passages, {qs} questions, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
