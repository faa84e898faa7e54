"""`rag eval --report` on small generated sets, and the page-structured PDF set: the right
file and page, a chunk never spanning two pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.chunking import Chunker
from ingest.loaders import load_bytes
from rag.cli.main import app
from rag.evaluation import evaluate_pages
from rag.evaluation.metrics import cuts_a_sentence, first_citation
from rag.evaluation.pdfpages import pdf_of_pages
from rag.evaluation.report import development_sets
from rag.evaluation.run import searched_once
from rag.evaluation.squad import load_articles
from rag.retrieval.rescoring import SentenceRescorer

ANIMALS = {"data": [
    {"title": "Otters", "paragraphs": [
        {"context": "Sea otters crack shellfish with rocks while floating on their backs.",
         "qas": [{"question": "What do sea otters use to crack shellfish?",
                  "answers": [{"text": "rocks", "answer_start": 32}]}]},
        {"context": "Otters sleep holding paws so that they do not drift apart. Mr. Otter "
                    "keeps a favourite stone in a pouch under his arm.",
         "qas": [{"question": "Why do otters hold paws while sleeping?",
                  "answers": [{"text": "so that they do not drift apart", "answer_start": 27}]}]},
    ]},
    {"title": "Bees", "paragraphs": [
        {"context": "Honey bees tell each other where flowers are with a waggle dance.",
         "qas": [{"question": "How do bees tell others where flowers are?",
                  "answers": [{"text": "a waggle dance", "answer_start": 50}]}]},
        {"context": "A worker bee lives about six weeks in summer. Queens live for years.",
         "qas": [{"question": "How long does a worker bee live in summer?",
                  "answers": [{"text": "about six weeks", "answer_start": 19}]}]},
    ]},
]}
MANUAL = {"data": [{"title": "Kettle", "paragraphs": [
    {"context": "Descale the kettle every month with white vinegar, e.g. one cup.",
     "qas": [{"question": "How often should the kettle be descaled?", "answers": []}]},
    {"context": "Never immerse the base in water. Wipe it with a dry cloth instead.",
     "qas": [{"question": "Can the kettle base go in water?", "answers": []}]},
]}]}


def write_sets(folder: Path) -> Path:
    folder.mkdir()
    (folder / "animals.json").write_text(json.dumps(ANIMALS))
    (folder / "manual.json").write_text(json.dumps(MANUAL))
    return folder


def test_report_prints_every_set_mode_and_bm25(env, tmp_path: Path) -> None:
    folder = write_sets(tmp_path / "sets")
    result = CliRunner().invoke(app, ["eval", "--report", "--sets", str(folder), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    sets = ["animals", "manual", "animals (pdf pages)", "manual (pdf pages)"]
    modes = ["dense", "sparse", "hybrid", "bm25 (rank-bm25)"]
    assert [(r["set"], r["mode"]) for r in rows] == [(s, m) for s in sets for m in modes]
    for r in rows:
        assert r["hit@5"] == 1.0 and 0 < r["mrr@10"] <= 1, r
        if r["mode"] != "bm25 (rank-bm25)":
            assert r["hit@5 vs bm25"] == 0.0 and "mrr@10 vs bm25" in r
    hybrid = {r["set"]: r for r in rows if r["mode"] == "hybrid"}
    assert hybrid["animals"]["answer_span_rate"] == 1.0
    assert hybrid["manual"]["answer_span_rate"] is None  # no spans: retrieval only
    assert hybrid["animals (pdf pages)"]["first_citation_rate"] == 1.0
    table = CliRunner().invoke(app, ["eval", "--report", "--sets", str(folder / "manual.json")],
                               catch_exceptions=False).stdout
    assert table.splitlines()[0].startswith("| set | mode | questions | hit@1 | hit@5 |")
    assert "| manual (pdf pages) | hybrid | 2 |" in table


def test_eval_needs_a_file_or_the_report(env) -> None:
    result = CliRunner().invoke(app, ["eval"], catch_exceptions=False)
    assert result.exit_code == 2 and "--squad" in result.stderr


@pytest.mark.parametrize("option", [["--limit", "1"], ["--mode", "dense"], ["--bm25"]])
def test_a_report_refuses_the_options_it_would_ignore(env, tmp_path: Path,
                                                      option: list[str]) -> None:
    """A report runs every mode and BM25 on every question: --every is the way to a short one."""
    folder = write_sets(tmp_path / "sets")
    result = CliRunner().invoke(app, ["eval", "--report", "--sets", str(folder), *option],
                                catch_exceptions=False)
    assert result.exit_code == 2 and result.stdout == ""
    message = " ".join(result.stderr.replace("│", " ").split())
    assert f"{option[0]}: it does not apply to --report" in message and "--every" in message


def test_a_single_run_refuses_sets(env, tmp_path: Path) -> None:
    folder = write_sets(tmp_path / "sets")
    result = CliRunner().invoke(app, ["eval", "--squad", str(folder / "manual.json"),
                                      "--sets", str(folder)], catch_exceptions=False)
    assert result.exit_code == 2 and result.stdout == ""
    message = " ".join(result.stderr.replace("│", " ").split())
    assert "--sets: it goes with --report" in message and "--squad" in message


def test_pdf_pages_cite_the_right_file_and_page(embedder, tmp_path: Path) -> None:
    path = write_sets(tmp_path / "sets") / "animals.json"
    rows = evaluate_pages(embedder, {"animals": path}, ["hybrid"])
    hybrid, bm25 = rows
    assert hybrid["paragraphs"] == 4 and hybrid["questions"] == 4
    assert hybrid["hit@1"] == 1.0 and hybrid["first_citation_rate"] == 1.0
    assert hybrid["answer_span_rate"] == 1.0 and bm25["hit@5"] == 1.0
    assert hybrid["cut_answer_rate"] == 0.0


def test_pages_of_several_paragraphs_cite_the_page_that_holds_the_answer(embedder,
                                                                         tmp_path: Path) -> None:
    path = write_sets(tmp_path / "sets") / "animals.json"
    hybrid, bm25 = evaluate_pages(embedder, {"animals": path}, ["hybrid"], per_page=2)
    assert hybrid["paragraphs"] == 2 and hybrid["questions"] == 4  # two articles, a page each
    assert hybrid["hit@1"] == 1.0 and bm25["hit@5"] == 1.0


def test_a_repeated_article_is_one_file_holding_both_copies_questions(embedder,
                                                                     tmp_path: Path) -> None:
    # CoQA tells some stories twice, each with its own questions
    otters = ANIMALS["data"][0]
    again = {"title": otters["title"], "paragraphs": [
        {**otters["paragraphs"][0], "qas": [
            {"question": "What do floating otters crack with rocks?",
             "answers": [{"text": "shellfish", "answer_start": 17}]}]},
        otters["paragraphs"][1]]}
    path = tmp_path / "twice.json"
    path.write_text(json.dumps({"data": [*ANIMALS["data"], again]}))
    articles, asked = load_articles(path)
    assert [a.title for a in articles] == ["Otters", "Bees"]
    assert [(a, p) for a, p, _ in asked][-2:] == [(0, 0), (0, 1)]
    hybrid, bm25 = evaluate_pages(embedder, {"animals": path}, ["hybrid"])
    assert hybrid["paragraphs"] == 4 and hybrid["questions"] == 6
    assert hybrid["hit@1"] == 1.0 and bm25["hit@5"] == 1.0


def test_an_answer_that_stops_mid_sentence_is_counted_as_cut() -> None:
    assert not cuts_a_sentence("Otters hold paws. [1] “Do they?” he asked. [2]")
    assert not cuts_a_sentence("“ Hello? ” [1] Wait… [2]")
    assert not cuts_a_sentence("He graduated in 1873.:33 [1] It was cold.[citation needed] [2]")
    assert not cuts_a_sentence("As the dealer says.\uff3b2\uff3d\uff3b3\uff3d [1]")
    assert cuts_a_sentence("Otters hold paws. [1] They keep a stone under [1]")


def test_the_first_citation_is_read_outside_the_code_an_answer_quotes() -> None:
    """R's output "[1] FALSE" in a quoted transcript is the program's, not a marker."""
    assert first_citation("Here is an example: [2]\n\n```\nR> 1 == 1\n[1] TRUE\n```\n[2]") == 2
    assert first_citation("```\nR> .3 + .6 == .9\n[1] FALSE\n```\n[3]") == 3
    assert first_citation("Ten years, the dealer says \uff3b2\uff3d\uff3b3\uff3d. [1]") == 1
    assert first_citation("It is printed as `> 1:2 [1] 1 2` shows. [4]") == 4


def test_short_pages_never_share_a_chunk(embedder) -> None:
    pages = [f"Page {n} tells of the {word} and nothing else." for n, word in
             enumerate(["heron", "badger", "newt", "stoat"], start=1)]
    document = load_bytes(Path("p.pdf"), pdf_of_pages(pages), "p.pdf")
    assert [p.number for p in document.pages] == [1, 2, 3, 4]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(document)
    assert [(c.page, c.text) for c in chunks] == [(n, t) for n, t in enumerate(pages, start=1)]


def test_a_set_searched_once_hands_its_candidates_to_the_rescorer_given(embedder,
                                                                        tmp_path: Path) -> None:
    class Recording(SentenceRescorer):
        def rescore(self, question, query, hits, also=()):
            handed.append((question, [hit.source for hit in [*hits, *also]]))
            return super().rescore(question, query, hits, also)

    handed: list[tuple[str, list[str]]] = []
    path = write_sets(tmp_path / "sets") / "animals.json"
    questions, hits = searched_once(embedder, path, rescorer=Recording(embedder),
                                    say=lambda _msg: None)
    assert [q.text for q in questions] == [question for question, _ in handed]
    paragraphs = sorted(q.paragraph for q in questions)
    assert len(questions) == 4 and all(sorted(sources) == paragraphs for _, sources in handed)
    assert [top[0].source for top in hits] == [q.paragraph for q in questions]


def test_development_sets_read_in_full_and_squad_only_when_its_file_is_there(tmp_path: Path
                                                                            ) -> None:
    folder = write_sets(tmp_path / "sets")
    squad = tmp_path / "squad-dev-v1.1.json"
    assert development_sets(folder, squad, 4) == {"animals": (folder / "animals.json", 1),
                                                  "manual": (folder / "manual.json", 1)}
    squad.write_text(json.dumps(ANIMALS))
    assert development_sets(folder, squad, 4)["squad-dev"] == (squad, 4)
