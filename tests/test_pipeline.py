"""Ingest → search → ask on real files with the real model and embedded Qdrant."""

import multiprocessing
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ingest.loaders import LOADERS
from ingest.parse_ahead import SourceFile
from rag.errors import EmbedderMismatchError, IngestCancelled, InputTooLongError
from rag.providers.generators.extractive import WEAK_MATCH
from rag.service import build_service
from rag.stores.base import setting_back
from rag.stores.edge import EdgeStore, open_edge_client
from tests.docgen import make_docx
from tests.pdfgen import encrypt, filler, make_pdf
from tests.spawned import STARTED, RememberedProcess

OTTERS = ("Sea otters use rocks as tools to crack open shellfish. They float on their backs "
          "while eating and hold hands while sleeping so they do not drift apart.")
VOLCANO = ("Mount Etna is an active stratovolcano on the east coast of Sicily. Its eruptions "
           "have been recorded since 1500 BC and it is among the most active volcanoes on Earth.")


def write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "otters.md").write_text(f"# Otters\n\n{OTTERS}\n")
    (folder / "etna.pdf").write_bytes(make_pdf(
        [filler("Italy has twenty regions and many islands."), VOLCANO], title="Etna"))
    (folder / "notes.txt").write_text("The cafeteria opens at 8 am and closes at 3 pm on weekdays.")


def points(service) -> int:
    return service.store.size()


def test_ingest_search_ask(service, tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    report = service.ingest([tmp_path / "docs"])
    assert report.ok and report.totals()["ingested"] == 3
    hits = service.search("Which volcano erupts in Sicily?", top_k=3)
    assert hits[0].source.endswith("etna.pdf")
    assert hits[0].page == 2
    answer = service.ask("How do sea otters open shellfish?", top_k=3)
    deltas = list(answer)
    assert len(deltas) >= 1
    assert "rocks as tools" in answer.text and "[1]" in answer.text
    assert answer.citations[0].source.endswith("otters.md")
    assert answer.generator == "extractive" and "extractive" in answer.record.notice.lower()



def test_an_offline_answer_embeds_its_question_once(service, tmp_path: Path,
                                                    monkeypatch) -> None:
    """The extractive answer ranks sentences with the vector the search made; a follow-up,
    whose search ran with the words of the question it leans on, embeds its own."""
    write_corpus(tmp_path / "docs")
    service.ingest([tmp_path / "docs"])
    embedded: list[str] = []
    embed_query = type(service.embedder).embed_query

    def counted(embedder, text: str):
        embedded.append(text)
        return embed_query(embedder, text)

    monkeypatch.setattr(type(service.embedder), "embed_query", counted)
    question = "How do sea otters open shellfish?"
    answer = service.ask(question, top_k=3)
    assert "rocks as tools" in "".join(answer) and embedded == [question]
    embedded.clear()
    follow_up = service.ask("Where do they live?", top_k=3,
                            history=[{"role": "user", "content": question},
                                     {"role": "assistant", "content": answer.text}])
    list(follow_up)
    assert follow_up.query != "Where do they live?"
    assert embedded == [follow_up.query, "Where do they live?"]


FACTORS = ("# Factors\n\nA factor is a vector object used to specify a discrete grouping of the "
           "components of other vectors of the same length. A factor is created with the "
           "factor() function from a vector of values. Its levels are sorted by default.\n")


def asked_after_the_factor_question(service, folder: Path, other: str, follow_up: str):
    """`follow_up`'s answer, asked after "What is a factor?" of a library holding a page on
    factors and `other`."""
    folder.mkdir()
    (folder / "factors.md").write_text(FACTORS)
    (folder / "other.md").write_text(other)
    service.ingest([folder])
    first = service.ask("What is a factor?", top_k=2)
    list(first)
    answer = service.ask(follow_up, top_k=2,
                         history=[{"role": "user", "content": "What is a factor?"},
                                  {"role": "assistant", "content": first.text}])
    list(answer)
    return answer


def test_a_follow_up_naming_too_little_is_answered_about_the_subject_it_leans_on(
        service, tmp_path: Path) -> None:
    """"How do I make one?" after "What is a factor?" matches no sentence well by its own
    words: it asks how to make a factor, and the passage saying so is quoted, with no
    warning that the documents do not answer it."""
    follow_up = asked_after_the_factor_question(
        service, tmp_path / "docs",
        "# Lists\n\nA list is an ordered collection of objects. The list() function builds "
        "one from its arguments, naming each component. Lists may hold other lists.\n",
        "How do I make one?")
    assert not follow_up.text.startswith(WEAK_MATCH), follow_up.text
    first_passage = follow_up.text.split("[1]")[:-1]
    assert follow_up.citations[0].source.endswith("factors.md"), follow_up.text
    assert any("created with the factor() function" in part for part in first_passage), \
        follow_up.text


@pytest.mark.parametrize("follow_up", ["And what is a list?", "What about lists?"])
def test_a_follow_up_naming_its_own_subject_is_not_answered_about_the_one_before(
        service, tmp_path: Path, follow_up: str) -> None:
    """After "What is a factor?", "And what is a list?" is searched with the factor question
    too, but names its own subject, which no document speaks of: the answer says so, rather
    than quote the factor sentences as if they answered it."""
    answer = asked_after_the_factor_question(
        service, tmp_path / "docs",
        "# Notes\n\nSome objects hold other objects of any mode. Their components are "
        "numbered.\n", follow_up)
    assert "factor" in answer.query.lower()  # searched with the question before it
    assert answer.text.startswith(WEAK_MATCH), answer.text


def test_reingest_is_a_noop(service, tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    service.ingest([tmp_path / "docs"])
    before = points(service)
    again = service.ingest([tmp_path / "docs"])
    assert [f.status for f in again.files] == ["unchanged"] * 3
    assert points(service) == before


def test_changed_file_replaces_its_chunks(service, tmp_path: Path) -> None:
    f = tmp_path / "facts.txt"
    f.write_text("The office plant is a fern named Gerald. " * 30)
    service.ingest([f])
    old = service.documents()[0]
    f.write_text("The office plant is now a cactus named Prickles.")
    result = service.ingest([f]).files[0]
    assert result.status == "ingested" and result.doc_id != old.doc_id
    docs = service.documents()
    assert [d.doc_id for d in docs] == [result.doc_id]
    assert points(service) == result.chunks  # no old chunk left behind
    assert all("Gerald" not in h.text for h in service.search("fern Gerald", top_k=10))


def test_delete_removes_every_chunk(service, tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    service.ingest([tmp_path / "docs"])
    etna = next(d for d in service.documents() if d.source.endswith("etna.pdf"))
    removed = service.delete(etna.doc_id)
    assert [d.doc_id for d in removed] == [etna.doc_id]
    assert service.store.count(etna.doc_id) == 0
    assert all(not h.source.endswith("etna.pdf") for h in service.search("volcano", top_k=10))
    assert service.delete(str(tmp_path / "docs" / "otters.md"))  # by path too
    assert len(service.documents()) == 1


def test_a_delete_between_a_new_versions_first_writes_leaves_it_to_its_ingest(
        service, tmp_path: Path, monkeypatch) -> None:
    """The delete looks for documents being written, then the re-ingest writes its first
    pending chunks, then the delete removes by path: the old version goes, the new one is
    stored whole (as the delete promises), not lost with it."""
    f = tmp_path / "facts.txt"
    f.write_text(" ".join(f"Fact {i}: the office plant is a fern." for i in range(300)))
    service.ingest([f])
    old = service.documents()[0]
    f.write_text(" ".join(f"Fact {i}: the office plant is a cactus." for i in range(300)))
    store, written, looked = service.store, threading.Event(), threading.Event()
    upsert, first_chunks = store.upsert_pending, store._first_chunks

    def upsert_after_the_look(*args, **kwargs):
        looked.wait(10)
        upsert(*args, **kwargs)
        written.set()

    def first_chunks_then_wait(where, fields):
        if threading.current_thread().name == "deleter":
            looked.set()
            written.wait(10)
        return first_chunks(where, fields)

    monkeypatch.setattr(store, "upsert_pending", upsert_after_the_look)
    monkeypatch.setattr(store, "_first_chunks", first_chunks_then_wait)
    deleted: list = []
    deleter = threading.Thread(target=lambda: deleted.extend(service.delete(str(f))),
                               name="deleter")
    deleter.start()
    result = service.ingest([f]).files[0]
    deleter.join(10)
    assert [d.doc_id for d in deleted] == [old.doc_id]
    assert result.status == "ingested", result.error
    assert [d.doc_id for d in service.documents()] == [result.doc_id]
    assert points(service) == result.chunks


def test_an_unexpected_store_error_fails_that_file_and_the_rest_are_stored(
        service, tmp_path: Path, monkeypatch, caplog) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Apples grow on trees in the orchard.")
    (folder / "b.txt").write_text("Bridges span rivers and valleys.")
    activate = service.store.activate

    def breaks_on_bridges(doc_id, source, chunks):
        if source.endswith("b.txt"):
            raise KeyError("a point the store lost")
        return activate(doc_id, source, chunks)

    monkeypatch.setattr(service.store, "activate", breaks_on_bridges)
    report = service.ingest([folder])
    assert [f.status for f in report.files] == ["ingested", "failed"]
    assert "could not be stored (error id " in report.files[1].error
    assert [Path(d.source).name for d in service.documents()] == ["a.txt"]
    assert any("KeyError" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_bad_pdfs_are_reported_and_the_rest_stored(service, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_corpus(folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    (folder / "locked.pdf").write_bytes(encrypt(make_pdf(["secret plans"]), user_password="pw"))
    report = service.ingest([folder])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["broken.pdf"].status == "failed" and "cannot read" in by_name["broken.pdf"].error
    assert by_name["locked.pdf"].status == "failed" and "password" in by_name["locked.pdf"].error
    assert not report.ok and report.totals()["ingested"] == 3
    assert len(service.documents()) == 3


def test_failed_embedding_leaves_no_half_document(service, tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "long.txt"
    f.write_text(" ".join(f"Paragraph {i} about lighthouses and keepers." for i in range(2000)))
    real = service.embedder.embed_documents_with_sentences  # what ingest calls (local model)
    calls = {"n": 0}

    def flaky(texts, spans, token_counts=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("embedding backend went away")
        return real(texts, spans, token_counts)

    monkeypatch.setattr(service.pipeline, "batch_size", 8)
    monkeypatch.setattr(service.embedder, "embed_documents_with_sentences", flaky)
    result = service.ingest([f]).files[0]
    assert result.status == "failed" and "went away" in result.error
    assert points(service) == 0
    monkeypatch.setattr(service.embedder, "embed_documents_with_sentences", real)
    assert service.ingest([f]).files[0].status == "ingested"


def test_a_file_failing_mid_stream_leaves_the_others_whole(service, tmp_path: Path,
                                                           monkeypatch) -> None:
    """The embedder refuses one batch of the middle file while the next file is already being
    embedded: that file fails whole, the files on either side are stored whole."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, topic in (("a.txt", "apples"), ("b.txt", "bridges"), ("c.txt", "comets")):
        (folder / name).write_text(" ".join(f"Note {i} is about {topic} and more {topic}."
                                            for i in range(300)))
    real = service.embedder.embed_documents_with_sentences
    batches = []

    def refuses_bridges(texts, spans, token_counts=None):
        batches.append(texts[0])
        if "bridges" in texts[0] and sum("bridges" in t for t in batches) == 2:
            raise OSError("the embedder refused a batch about bridges")
        return real(texts, spans, token_counts)

    monkeypatch.setattr(service.pipeline, "batch_size", 4)
    monkeypatch.setattr(service.embedder, "embed_documents_with_sentences", refuses_bridges)
    report = service.ingest([folder])
    assert [f.status for f in report.files] == ["ingested", "failed", "ingested"]
    assert "refused a batch about bridges" in report.files[1].error
    assert any("comets" in first for first in batches)  # the stream went on past the failure
    stored = {d.source: d.chunks for d in service.documents()}
    assert set(stored) == {str(folder / "a.txt"), str(folder / "c.txt")}
    assert points(service) == sum(stored.values()) == report.totals()["chunks"]


def test_the_same_content_twice_in_one_run_is_stored_once(service, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("first.md", "second.md"):
        (folder / name).write_text(f"# Otters\n\n{OTTERS}\n")
    report = service.ingest([folder])
    assert [f.status for f in report.files] == ["ingested", "unchanged"]
    assert report.files[1].error == f"same content as {folder / 'first.md'}, already stored"
    assert len(service.documents()) == 1
    assert points(service) == report.files[0].chunks


@pytest.mark.parametrize("copy_name", ["b-copy.txt", "0-copy.txt"])  # after it, before it
def test_a_copy_of_a_file_edited_since_is_stored_under_the_copy(service, tmp_path: Path,
                                                                copy_name: str) -> None:
    """The copy keeps the old content, which the edited file's new version retires: the copy
    must hold it then, not be reported as already stored under the edited file."""
    folder = tmp_path / "docs"
    folder.mkdir()
    original = folder / "a.txt"
    original.write_text(OTTERS)
    service.ingest([folder])
    (folder / copy_name).write_bytes(original.read_bytes())
    original.write_text("Harbour seals rest on sandbars at low tide.")
    report = service.ingest([folder])
    assert {f.path: f.status for f in report.files} == {
        str(original): "ingested", str(folder / copy_name): "ingested"}
    assert {d.source for d in service.documents()} == {str(original), str(folder / copy_name)}
    (hit, *_) = service.search("Which tools do sea otters use?")
    assert hit.source == str(folder / copy_name) and "rocks" in hit.text


def test_a_copy_taking_over_the_document_of_a_removed_file_names_that_file(
        service, tmp_path: Path) -> None:
    """One document per content: the copy's ingest makes it name the copy, which the report
    says, so that the removed file's document does not vanish without a word."""
    folder = tmp_path / "docs"
    folder.mkdir()
    original, copy = folder / "y.txt", folder / "z.txt"
    original.write_text(OTTERS)
    copy.write_text(OTTERS)
    service.ingest([folder])
    original.unlink()
    [result] = service.ingest([folder]).files
    assert (result.status, result.moved_from) == ("ingested", str(original))
    assert result.error == (f"the same text as {original}, which is no longer on disk, so "
                            f"the document now names {copy}")
    assert result.as_json()["moved_from"] == str(original)
    assert [d.source for d in service.documents()] == [str(copy)]


SEALS = "Harbour seals rest on sandbars at low tide and dive for flatfish."


def spooled(folder: Path, files: list[tuple[str, str]]) -> list[SourceFile]:
    """Uploads as the engine's queue takes them: spooled to disk, stored as `upload:NAME`."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for n, (name, text) in enumerate(files):
        path = folder / f"{n}-{name}"
        path.write_text(text)
        made.append(SourceFile(path, f"upload:{name}"))
    return made


def stored_texts(service) -> dict[str, str]:
    """Each live document's source, with the first passage a search of it finds."""
    found = {}
    for text in (OTTERS, SEALS):
        hits = service.search(text, mode="sparse")
        found.update({hit.source: hit.text for hit in hits if hit.text in text})
    return found


@pytest.mark.parametrize("order", [("a.txt", "b.txt"), ("b.txt", "a.txt")])
@pytest.mark.parametrize("stored", [{"b.txt": SEALS}, {"a.txt": OTTERS, "b.txt": SEALS}])
def test_an_upload_given_the_content_of_a_name_its_request_replaces_is_stored_under_its_own(
        service, tmp_path: Path, stored: dict[str, str], order: tuple[str, str]) -> None:
    """Uploads have no file to look at again, as a copy of a path is checked: the request's
    own file under the other name is, so that a.txt is not reported as a copy of the
    upload:b.txt that the same request replaces, which would leave its text stored nowhere."""
    service.ingest_files(spooled(tmp_path / "first", list(stored.items())))
    swapped = {"a.txt": SEALS, "b.txt": OTTERS}
    report = service.ingest_files(spooled(tmp_path / "second",
                                          [(name, swapped[name]) for name in order]))
    assert [f.status for f in report.files] == ["ingested", "ingested"], report.files
    assert stored_texts(service) == {"upload:a.txt": SEALS, "upload:b.txt": OTTERS}
    assert points(service) == len(service.documents()) == 2


def test_an_upload_the_same_as_a_name_its_request_keeps_is_a_copy(service,
                                                                  tmp_path: Path) -> None:
    service.ingest_files(spooled(tmp_path / "first", [("b.txt", SEALS)]))
    report = service.ingest_files(spooled(tmp_path / "second",
                                          [("a.txt", SEALS), ("b.txt", SEALS)]))
    assert [(f.status, f.error) for f in report.files] == [
        ("unchanged", "same content as upload:b.txt, already stored"), ("unchanged", None)]
    assert stored_texts(service) == {"upload:b.txt": SEALS}


def test_an_upload_given_another_files_content_says_its_old_version_went(service) -> None:
    """The name's earlier version is removed and the other file already holds the content:
    the report says so, and no answer cached from the removed version is replayed."""
    service.ingest_bytes("report.txt", b"The falcon budget is five dollars.", "upload:report.txt")
    service.ingest_bytes("owl.txt", OTTERS.encode(), "upload:owl.txt")
    version = service.store.version()
    result = service.ingest_bytes("report.txt", OTTERS.encode(), "upload:report.txt")
    assert (result.status, result.error) == ("unchanged", (
        "same content as upload:owl.txt, already stored; the version stored before under "
        "this name was removed"))
    assert [d.source for d in service.documents()] == ["upload:owl.txt"]
    assert service.store.version() > version


def test_a_readers_bug_names_an_upload_as_its_other_failures_do(
        service, tmp_path: Path, monkeypatch) -> None:
    def broken_reader(path: Path, data: bytes, options: object) -> None:
        raise RuntimeError("a reader's bug")

    monkeypatch.setitem(LOADERS, ".txt", broken_reader)
    spooled = tmp_path / "upload-1"
    spooled.write_text(OTTERS)
    [result] = service.ingest_files([SourceFile(spooled, "upload:notes.txt")]).files
    assert (result.path, result.status, result.error) == (
        "upload:notes.txt", "failed", "notes.txt: cannot read the file: an unexpected error "
        "in its reader (RuntimeError: a reader's bug); the log has the details")


def test_a_stored_files_copy_named_as_another_type_is_checked_as_that_type(
        service, tmp_path: Path) -> None:
    """Whether a mislabelled file is refused must not hang on what the library holds: a copy
    of a stored Word document named .pdf fails as it would in an empty library; a copy named
    as the same type (.htm of .html) is the same document."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettle.docx").write_bytes(make_docx([("Kettle", ["Descale it every month."])]))
    (folder / "page.html").write_text(f"<html><body><p>{OTTERS}</p></body></html>")
    service.ingest([folder])
    for name in ("kettle.pdf", "kettle.xlsx", "page.htm"):
        (folder / name).write_bytes((folder / ("page.html" if name.endswith("htm")
                                               else "kettle.docx")).read_bytes())
    outcomes = {Path(f.path).name: (f.status, f.error) for f in service.ingest([folder]).files}
    assert outcomes["kettle.pdf"] == ("failed", f"{folder / 'kettle.pdf'}: a Word document "
                                                "named .pdf; rename it to .docx")
    assert outcomes["kettle.xlsx"][0] == "failed"
    assert "a Word document named .xlsx; rename it to .docx" in outcomes["kettle.xlsx"][1]
    assert outcomes["page.htm"] == ("unchanged", f"same content as {folder / 'page.html'}, "
                                                 "already stored")
    uploaded = service.ingest_bytes(Path("kettle.pdf"),
                                    (folder / "kettle.docx").read_bytes(), "upload:kettle.pdf")
    assert (uploaded.status, uploaded.error) == ("failed", "kettle.pdf: a Word document named "
                                                           ".pdf; rename it to .docx")
    assert {Path(d.source).name for d in service.documents()} == {"kettle.docx", "page.html"}


def exit_codes(processes: list[multiprocessing.process.BaseProcess]) -> list[int | None]:
    """Each process's exit code once it has ended (its pool's thread may be the one that
    reaps it, and a join racing that one returns before the code is known)."""
    deadline = time.monotonic() + 30
    while any(p.exitcode is None for p in processes) and time.monotonic() < deadline:
        for process in processes:
            process.join(timeout=0.1)
    return [process.exitcode for process in processes]


def test_a_cancelled_ingest_stops_inside_a_file_and_stops_its_parse_worker(
        service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long file is not read to its end before the cancel is seen, and the worker process
    preparing the next file is stopped, not left to finish it."""
    import ingest.formats.pdf as pdf_format

    read_pages = []
    real_page_text = pdf_format.page_text
    monkeypatch.setattr(pdf_format, "page_text",
                        lambda page: read_pages.append(page) or real_page_text(page))
    files = []
    for name in ("a.pdf", "b.pdf"):
        (tmp_path / name).write_bytes(make_pdf([filler(f"Page {n} of {name}.", 200)
                                                for n in range(30)]))
        files.append(SourceFile.at(tmp_path / name))
    monkeypatch.setattr(multiprocessing.get_context("spawn"), "Process", RememberedProcess)
    STARTED.clear()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(IngestCancelled, match="The ingest was stopped"):
        service.ingest_files(files, cancel=cancel)
    assert read_pages == [] and service.documents() == []
    assert exit_codes(STARTED) == [-signal.SIGTERM]


def test_wrong_embedder_fails_clearly(service, settings, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Otters hold hands while they sleep.")
    assert service.ingest([notes]).totals()["ingested"] == 1  # an empty one is made again
    service.close()
    store = EdgeStore(open_edge_client(settings.resolved_qdrant_path), settings.collection,
                      "workers-ai:@cf/baai/bge-base-en-v1.5", 768)
    with pytest.raises(EmbedderMismatchError) as info:
        store.ensure_collection()
    store.close()
    message = str(info.value)
    assert "local:all-MiniLM-L6-v2-int8" in message and "bge-base-en-v1.5" in message
    assert "Set RAG_EMBEDDER=local (with RAG_LOCAL_PRECISION=int8) back, or use another " \
           "RAG_COLLECTION" in message


@pytest.mark.parametrize("stored, configured, advice", [
    ("workers-ai:@cf/baai/bge-base-en-v1.5", "workers-ai:@cf/baai/bge-small-en-v1.5",
     "Set RAG_WORKERS_AI_EMBEDDING_MODEL=@cf/baai/bge-base-en-v1.5 to open it"),
    ("openai:nomic-embed-text", "openai:mxbai-embed-large",
     "Set RAG_OPENAI_EMBEDDING_MODEL=nomic-embed-text to open it"),
    ("openai:nomic-embed-text", "openai:nomic-embed-text",
     "Set RAG_OPENAI_EMBEDDING_DIMENSION=512 to open it"),
    ("openai:nomic-embed-text", "local:all-MiniLM-L6-v2-int8",
     "Set RAG_EMBEDDER=openai (with RAG_OPENAI_EMBEDDING_MODEL=nomic-embed-text) back"),
    ("local:all-MiniLM-L6-v2", "local:all-MiniLM-L6-v2-int8",
     "Set RAG_LOCAL_PRECISION=fp32 to open it"),
], ids=["workers-ai-model", "openai-model", "openai-dimension", "embedder", "precision"])
def test_a_changed_embedder_names_the_setting_that_picked_the_one_that_filled_it(
        stored, configured, advice) -> None:
    assert setting_back(stored, configured, 512) == advice


def test_overlong_question_is_an_error(service) -> None:
    with pytest.raises(InputTooLongError, match="at most 256"):
        service.search("why " * 400)


def test_embeddings_are_normalised_and_order_kept(embedder) -> None:
    texts = ["short", "a much longer sentence about many different things " * 5, "mid length text"]
    together = embedder.embed_documents(texts)
    alone = np.stack([embedder.embed_documents([t])[0] for t in texts])
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)


def test_reopened_store_keeps_documents(settings, embedder, tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    first = build_service(settings, embedder=embedder)
    first.ingest([tmp_path / "docs"])
    first.close()
    second = build_service(settings, embedder=embedder)
    assert len(second.documents()) == 3
    second.close()
