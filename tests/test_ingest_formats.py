"""A folder of the documents people have, ingested as a user would: every type read, the
locator carried to citations (CLI and JSON), nothing skipped silently, and hostile files each
reported while the batch goes on and nothing of theirs stays in the store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.loaders import content_id
from rag.cli.main import app
from rag.stores.base import point_id
from rag.text import lexical
from tests.docgen import (
    damaged,
    make_docx,
    make_epub,
    make_pptx,
    make_xlsx,
    without_table_grids,
    zip_bomb,
)

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def office_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "pump.docx").write_bytes(make_docx(
        [("Installation", ["Bolt the pump to a level concrete floor."]),
         ("Lubrication", ["Grease the pump bearings with lithium grease every spring."])],
        title="Pump manual"))
    (folder / "review.pptx").write_bytes(make_pptx(
        [{"title": "Agenda", "body": ["Welcome and introductions."]},
         {"title": "Travel budget", "body": ["Flights to Lisbon cost 4,200 euros this year."],
          "notes": "Ask finance about the hotel contract."}], title="Quarterly review"))
    (folder / "costs.xlsx").write_bytes(make_xlsx(
        {"Summary": [["Region", "Total"], ["North", 10]],
         "Freight": [["Carrier", "Cost"], ["Oceanic Shipping", 93000]]}))
    (folder / "parts.csv").write_text("part,bin\nhex bolt,A7\nspring washer,B2\n")
    (folder / "saga.epub").write_bytes(make_epub(
        [("Departure", "The crew sailed from Bergen at dawn."),
         ("The island", "A lighthouse keeper named Ingrid greeted the sailors.")],
        title="North saga"))
    return folder


@pytest.mark.slow
def test_every_office_type_is_searchable_and_cited_by_its_locator(env, tmp_path: Path) -> None:
    folder = office_folder(tmp_path / "docs")
    result = run("ingest", str(folder), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["totals"]["ingested"] == 5 and summary["skipped"] == []

    def top(query: str) -> dict:
        return json.loads(run("search", query, "--json", "--top-k", "1").stdout)["hits"][0]

    slide = top("How much did the flights to Lisbon cost?")
    assert slide["source"].endswith("review.pptx")
    assert (slide["page"], slide["locator"]) == (2, "slide 2: Travel budget")
    sheet = top("What did Oceanic Shipping cost for freight?")
    assert (sheet["page"], sheet["locator"]) == (2, "sheet Freight")
    assert "Carrier: Oceanic Shipping; Cost: 93000" in sheet["text"]
    section = top("Which grease for the pump bearings?")
    assert (section["page"], section["locator"]) == (None, "Lubrication")
    chapter = top("Who greeted the sailors at the lighthouse?")
    assert (chapter["page"], chapter["locator"]) == (2, "chapter 2: The island")

    human = run("search", "flights to Lisbon", "--top-k", "1").stdout
    assert f"[1] Quarterly review ({folder / 'review.pptx'}, slide 2: Travel budget)" in human
    asked = run("ask", "Who greeted the sailors?")
    assert "chapter 2: The island" in asked.stdout.split("Sources:")[1]


def test_nothing_in_a_folder_is_skipped_silently(env, tmp_path: Path) -> None:
    folder = tmp_path / "share"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "config").write_text("[core]")
    (folder / "old").mkdir()
    (folder / "notes.md").write_text("# Notes\n\nThe spare key hangs behind the door.")
    for name in ("a.zip", "b.zip", "old/c.zip", "setup.exe", "LICENSE"):
        (folder / name).write_bytes(b"not read")
    (folder / "~$notes.docx").write_bytes(b"an Office lock file")
    (folder / "draft.md~").write_text("an editor's backup")
    (folder / ".DS_Store").write_bytes(b"\0")

    human = run("ingest", str(folder))
    assert human.exit_code == 0  # skipping is not failing
    assert ("skipped 8 files: .zip ×3, (none) ×1, .exe ×1 (unsupported); 1 hidden file; "
            "2 editor temporary files; 1 hidden folder") in human.stderr

    listed = json.loads(run("ingest", str(folder), "--json").stdout)
    assert listed["totals"]["skipped"] == 8 and listed["totals"]["unchanged"] == 1
    by_name = {Path(s["path"]).name: (s["reason"], s["type"]) for s in listed["skipped"]}
    assert by_name == {
        ".git": ("hidden", "folder"), ".DS_Store": ("hidden", "(none)"),
        "~$notes.docx": ("temporary", ".docx"), "draft.md~": ("temporary", ".md~"),
        "a.zip": ("unsupported", ".zip"), "b.zip": ("unsupported", ".zip"),
        "c.zip": ("unsupported", ".zip"), "setup.exe": ("unsupported", ".exe"),
        "LICENSE": ("unsupported", "(none)")}
    # a file named directly is read, whatever it is, and fails with its reason
    named = run("ingest", str(folder / "setup.exe"), "--json")
    assert named.exit_code == 1
    assert "unsupported file type .exe" in json.loads(named.stdout)["files"][0]["error"]



def test_a_name_whose_end_hides_its_type_fails_saying_so(env, tmp_path: Path) -> None:
    """"notes.txt " has no type to a program (and cannot be made on Windows): in a folder it
    fails saying what to rename, rather than being skipped as a type no loader reads."""
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "trail.txt ").write_text("The ferry leaves at noon.")
    (folder / "dot.md.").write_text("The ferry returns at six.")
    (folder / "kept.txt").write_text("The pier is on the east side.")
    done = run("ingest", str(folder), "--json")
    assert done.exit_code == 1
    listed = json.loads(done.stdout)
    assert listed["skipped"] == []
    errors = {Path(f["path"]).name: f.get("error") for f in listed["files"]}
    assert errors == {
        "dot.md.": f"{folder / 'dot.md.'}: the name ends in a dot after its type .md, so it "
                   "has none; rename it",
        "kept.txt": None,
        "trail.txt ": f"{folder / 'trail.txt '}: the name ends in a space after its type .txt, "
                      "so it has none; rename it"}


def test_a_broken_link_in_a_folder_fails_saying_so_whatever_its_name(env, tmp_path: Path
                                                                     ) -> None:
    """A link to a folder moved away has no type to skip it by: it is named a broken link, as
    when it is named directly, not "(none) ×1 (unsupported)"."""
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "real.txt").write_text("The ferry leaves at noon.")
    (folder / "manuals").symlink_to(tmp_path / "moved")
    (folder / "la").symlink_to("lb")
    (folder / "lb").symlink_to("la")
    done = run("ingest", str(folder), "--json")
    listed = json.loads(done.stdout)
    assert listed["skipped"] == []
    errors = {Path(f["path"]).name: f.get("error") for f in listed["files"]}
    assert errors == {
        "la": f"{folder / 'la'}: a link loop (a link that leads back to itself)",
        "lb": f"{folder / 'lb'}: a link loop (a link that leads back to itself)",
        "manuals": f"{folder / 'manuals'}: a broken link (to {tmp_path / 'moved'}, which does "
                   "not exist)",
        "real.txt": None}

@pytest.mark.slow
def test_hostile_office_files_are_each_reported_and_leave_nothing(service, tmp_path: Path
                                                                   ) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    folder = tmp_path / "inbox"
    folder.mkdir()
    good = make_docx([("Contacts", ["Call Dana on extension 4471 for badge access."])])
    (folder / "a-bomb.docx").write_bytes(zip_bomb("word/document.xml"))
    (folder / "b-damaged.xlsx").write_bytes(damaged(make_xlsx({"S": [["a", "b"], [1, 2]]})))
    locked = io.BytesIO()
    OOXMLFile(io.BytesIO(make_pptx([{"title": "Secret plan"}]))).encrypt("pw", locked)
    (folder / "c-locked.pptx").write_bytes(locked.getvalue())
    (folder / "d-fake.epub").write_text("plain text named .epub")
    (folder / "e-good.docx").write_bytes(good)

    report = service.ingest([folder])
    outcome = {Path(f.path).name: (f.status, f.error) for f in report.files}
    assert {name: status for name, (status, _) in outcome.items()} == {
        "a-bomb.docx": "failed", "b-damaged.xlsx": "failed", "c-locked.pptx": "failed",
        "d-fake.epub": "failed", "e-good.docx": "ingested"}
    assert "zip bomb" in outcome["a-bomb.docx"][1]
    assert "damaged or truncated" in outcome["b-damaged.xlsx"][1]
    assert "password-protected" in outcome["c-locked.pptx"][1]
    assert "not a .epub file" in outcome["d-fake.epub"][1]
    assert not report.ok
    # only the good file's chunks are stored, all live
    [stored] = service.documents()
    assert stored.doc_id == content_id(good) and service.store.size() == stored.chunks


def docx_between_two_good_files(folder: Path, docx: bytes) -> list[Path]:
    """A batch as QA ran it: a CSV, the Word document, a TSV."""
    (folder / "data.csv").write_text("part,bin\nhex bolt,A7\nspring washer,B2\n")
    (folder / "rich.docx").write_bytes(docx)
    (folder / "data.tsv").write_text("crane\tload\nharbour crane\t40 t\n")
    return [folder / name for name in ("data.csv", "rich.docx", "data.tsv")]


def test_a_word_table_without_its_column_grid_is_ingested_with_its_batch(
        env, tmp_path: Path) -> None:
    docx = without_table_grids(make_docx([("Parts", ["Seals wear out first."])],
                                          table=[["Part", "Interval"], ["Seal", "6 months"]]))
    files = docx_between_two_good_files(tmp_path, docx)
    result = run("ingest", *map(str, files), "--json")
    assert result.exit_code == 0, result.output
    statuses = {Path(f["path"]).name: f["status"] for f in json.loads(result.stdout)["files"]}
    assert statuses == {"data.csv": "ingested", "rich.docx": "ingested",
                        "data.tsv": "ingested"}
    hits = json.loads(run("search", "seal interval", "--json", "--top-k", "1").stdout)["hits"]
    assert "Part: Seal; Interval: 6 months" in hits[0]["text"]


def test_a_reader_failing_unexpectedly_fails_its_file_and_the_batch_goes_on(
        service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from ingest import loaders, parse_ahead

    def buggy_reader(path, data, options):
        raise RuntimeError("a reader's own bug")

    # every file parsed in this process (as once a parse worker has died): the patch is here
    monkeypatch.setattr(parse_ahead, "_submit", lambda pool, item: None)
    monkeypatch.setitem(loaders.LOADERS, ".docx", buggy_reader)
    files = docx_between_two_good_files(tmp_path, make_docx([("Parts", ["Seals wear."])]))
    report = service.ingest(files)
    outcome = {Path(f.path).name: (f.status, f.error) for f in report.files}
    assert {name: status for name, (status, _) in outcome.items()} == {
        "data.csv": "ingested", "rich.docx": "failed", "data.tsv": "ingested"}
    assert "RuntimeError: a reader's own bug" in outcome["rich.docx"][1]
    assert {Path(d.source).name for d in service.documents()} == {"data.csv", "data.tsv"}
    logged = [r for r in caplog.records if "rich.docx" in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the stack trace, for a bug report


def test_points_stored_without_a_locator_still_read(service) -> None:
    """Documents ingested before locators existed keep working: their hits have none."""
    text = "The boiler room key is kept in the red box by the stairs."
    payload = {"doc_id": "d" * 32, "source": "/old/keys.pdf", "title": "Keys", "page": 3,
               "position": 0, "start": 0, "end": len(text), "text": text, "token_count": 14,
               "chunks": 1, "media_type": "application/pdf", "status": "live"}
    service.store.upsert_points([point_id("d" * 32, 0)], service.embedder.embed_documents([text]),
                                [lexical.document_vector(text)], [payload])
    [hit] = service.search("where is the boiler room key", top_k=1)
    assert (hit.page, hit.locator) == (3, None)
    assert hit.as_json()["locator"] is None


@pytest.mark.slow
def test_a_2000_slide_deck_is_ingested_whole(service, tmp_path: Path) -> None:
    slides = [{"title": f"Milestone {n}", "body": [f"Checkpoint {n} reviews the work of "
                                                   f"week {n}."]} for n in range(1, 2001)]
    slides[1776]["body"] = ["The harbour crane inspection found a cracked hook."]
    deck = tmp_path / "roadmap.pptx"
    deck.write_bytes(make_pptx(slides))
    report = service.ingest([deck])
    assert report.ok, report.files[0].error
    [hit] = service.search("cracked hook on the harbour crane", top_k=1)
    assert (hit.page, hit.locator) == (1777, "slide 1777: Milestone 1777")
