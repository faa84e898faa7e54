"""The store's contract on each embedded engine: qdrant-client local mode and qdrant-edge.

Each test runs once per engine through `make_store` (the routing RAG_QDRANT_ENGINE selects),
with the real model: writes never mix versions, a crash leaves nothing searchable, filters and
search modes behave alike, and the last test checks both engines rank the same corpus alike.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import qdrant_edge as qe

from rag.engine.workspace import Workspace
from rag.errors import CollectionMissing, ConfigError, EmbedderMismatchError, StoreError
from rag.registry import make_store
from rag.service import RagService, build_service
from rag.settings import Settings
from rag.stores import edge
from rag.stores.base import point_id
from rag.stores.fusion import DENSE, FUSION_WEIGHTS, SPARSE, fuse_dbsf, fusion_depth
from rag.stores.passages import PassageCache
from rag.text import lexical
from rag.text.contents import is_contents
from rag.types import Chunk, Hit
from tests.test_pipeline import write_corpus

ENGINES = ["local", "edge"]


def open_service(settings: Settings, embedder, engine: str) -> RagService:
    return build_service(settings.model_copy(update={"qdrant_engine": engine}), embedder=embedder)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def svc(settings: Settings, embedder, engine: str):
    service = open_service(settings, embedder, engine)
    yield service
    service.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    write_corpus(tmp_path / "docs")
    return tmp_path / "docs"


@pytest.mark.slow
def test_ingest_search_and_reingest_unchanged(svc, corpus: Path) -> None:
    assert svc.ingest([corpus]).totals()["ingested"] == 3
    assert svc.store.version() == 1
    hits = svc.search("Which volcano erupts in Sicily?", top_k=3)
    assert hits[0].source.endswith("etna.pdf") and hits[0].page == 2
    size = svc.store.size()
    again = svc.ingest([corpus])
    assert [f.status for f in again.files] == ["unchanged"] * 3
    assert svc.store.size() == size and svc.store.version() == 1
    assert svc.store.document_count() == len(svc.documents()) == 3
    chunk = Chunk(doc_id="half-written", source="half.txt", title="Half", position=0, page=None,
                  start=0, end=12, text="Half a file.", token_count=4)
    svc.store.upsert_pending([chunk], np.zeros((1, svc.store.dimension), np.float32),
                             [([1], [1.0])], 2, "text/plain")
    assert svc.store.document_count() == 3  # a document being written is none yet


def test_the_chunks_after_a_hit_are_read_by_its_document_and_position(svc, embedder) -> None:
    """The chunks that follow a passage in its document, live ones only, in order: what the
    answer reads the code a passage's last sentence introduces from."""
    chunks = [Chunk(doc_id="d" * 32, source="notes.txt", title="Notes", position=i, page=None,
                    start=i * 20, end=i * 20 + 12, text=f"Chunk number {i}.", token_count=5)
              for i in range(4)]
    svc.store.upsert_pending(chunks, np.zeros((4, svc.store.dimension), np.float32),
                             [([1], [1.0])] * 4, 4, "text/plain")
    hit = Hit("d" * 32, "notes.txt", None, point_id("d" * 32, 1), 0.5, chunks[1].text,
              position=1)
    assert svc.store.chunks_after(hit, 3) == []  # pending: no chunk of it is live yet
    svc.store.activate("d" * 32, "notes.txt", 4)
    after = svc.store.chunks_after(hit, 3)
    assert [(h.position, h.text, h.score) for h in after] == [
        (2, "Chunk number 2.", 0.5), (3, "Chunk number 3.", 0.5)]
    assert after[0].chunk_id == point_id("d" * 32, 2)


def test_changed_file_replaces_its_chunks_without_mixture(svc, tmp_path: Path) -> None:
    f = tmp_path / "facts.txt"
    f.write_text("The office plant is a fern named Gerald. " * 30)
    old = svc.ingest([f]).files[0]
    f.write_text("The office plant is now a cactus named Prickles.")
    new = svc.ingest([f]).files[0]
    assert new.status == "ingested" and new.doc_id != old.doc_id
    assert [d.doc_id for d in svc.documents()] == [new.doc_id]
    assert svc.store.size() == new.chunks
    for mode in ("dense", "sparse", "hybrid"):
        assert all("Gerald" not in h.text for h in svc.search("fern Gerald", 10, mode)), mode


@contextmanager
def between_a_swaps_two_writes(svc, tmp_path: Path) -> Iterator[Path]:
    """A changed file being swapped in, held between retiring its old version and making the
    new one live (the moment drawn out), for the block; the file."""
    f = tmp_path / "facts.txt"
    f.write_text("The office plant is a fern named Gerald.")
    svc.ingest([f])
    f.write_text("The office plant is now a cactus named Prickles.")
    retired, write = threading.Event(), svc.store._set_payload

    def slow_switch(ids, values) -> None:
        write(ids, values)
        if values == {"status": "retired"}:
            retired.set()
            time.sleep(0.5)

    svc.store._set_payload = slow_switch
    swap = threading.Thread(target=svc.ingest, args=([f],))
    swap.start()
    assert retired.wait(30)
    try:
        yield f
    finally:
        swap.join()


def test_a_search_while_a_changed_file_is_swapped_in_finds_a_version(svc, tmp_path: Path
                                                                     ) -> None:
    """Retiring the old version and making the new one live are two writes: a search between
    them would find neither, and a question about the file be answered "not mentioned"."""
    with between_a_swaps_two_writes(svc, tmp_path):
        found = svc.search("office plant", 5, "hybrid")
    assert [h.text for h in found] == ["The office plant is now a cactus named Prickles."]


def test_the_library_listed_while_a_changed_file_is_swapped_in_holds_it(svc, tmp_path: Path
                                                                          ) -> None:
    """Listed or counted between the two writes, the file was missing from the library for
    that moment (the documents list, a health probe's count)."""
    with between_a_swaps_two_writes(svc, tmp_path) as f:
        listed, counted = svc.store.documents(), svc.store.document_count()
        payloads = svc.store.document_payloads()
    assert [d.source for d in listed] == [str(f)] and counted == 1
    assert [p["source"] for p in payloads] == [str(f)]


@pytest.mark.slow
def test_delete_by_id_and_by_path(svc, corpus: Path) -> None:
    svc.ingest([corpus])
    etna = next(d for d in svc.documents() if d.source.endswith("etna.pdf"))
    assert [d.doc_id for d in svc.delete(etna.doc_id)] == [etna.doc_id]
    assert svc.store.count(etna.doc_id) == 0 and not svc.store.holds(etna.doc_id)
    assert all(not h.source.endswith("etna.pdf") for h in svc.search("volcano", top_k=10))
    assert svc.delete(str(corpus / "otters.md"))
    assert len(svc.documents()) == 1 and svc.store.version() == 3
    assert svc.delete("no-such-document") == []


@pytest.mark.slow
def test_filters_and_search_modes(svc, corpus: Path) -> None:
    (corpus / "codes.txt").write_text("Error QX7731 means the flux capacitor is misaligned.")
    svc.ingest([corpus])
    etna = next(d for d in svc.documents() if d.source.endswith("etna.pdf"))
    hits = svc.search("otters", top_k=5, doc_id=etna.doc_id)
    assert hits and {h.doc_id for h in hits} == {etna.doc_id}
    notes = str(corpus / "notes.txt")
    assert {h.source for h in svc.search("volcano", top_k=5, source=notes)} == {notes}
    for mode in ("sparse", "hybrid"):
        assert svc.search("QX7731", top_k=2, mode=mode)[0].source.endswith("codes.txt"), mode
    assert svc.search("QX7731", top_k=2, mode="dense")  # dense always finds something
    assert svc.search("the of and", top_k=2, mode="sparse") == []  # no terms left
    assert svc.search("rocks shellfish", top_k=1, mode="sparse")[0].source.endswith("otters.md")


@pytest.mark.slow
def test_a_hybrid_search_batches_both_sides_as_separate_searches_find_them(
        svc, embedder, corpus: Path) -> None:
    svc.ingest([corpus])
    question = "Which volcano erupts in Sicily?"
    dense, sparse = embedder.embed_query(question), lexical.query_vector(question)
    for where in (None, svc.store._where(svc.documents()[0].doc_id, None)):
        dense_side, sparse_side = svc.store._query_sides(dense, sparse, where, 20)
        alone = [[(pid, score) for pid, score, _ in svc.store._query(d, s, where, 20, False)]
                 for d, s in ((dense, None), (None, sparse))]
        assert dense_side and sparse_side and [dense_side, sparse_side] == alone


@pytest.mark.slow
def test_a_hybrid_search_brings_each_sides_best_after_its_top_k(svc, embedder,
                                                                corpus: Path) -> None:
    svc.ingest([corpus])
    question = "Which volcano erupts in Sicily?"
    dense, sparse = embedder.embed_query(question), lexical.query_vector(question)
    top = [h.chunk_id for h in svc.store.search(dense, sparse, 1)]
    found = [h.chunk_id for h in svc.store.search(dense, sparse, 1, side_best=3)]
    dense_side, sparse_side = svc.store._query_sides(dense, sparse, svc.store._where(None, None),
                                                     fusion_depth(1))
    sides = {str(pid) for side in (dense_side, sparse_side) for pid, _ in side[:3]}
    fused = [str(pid) for pid, _ in fuse_dbsf([(FUSION_WEIGHTS[DENSE], dense_side),
                                               (FUSION_WEIGHTS[SPARSE], sparse_side)])]
    assert found[:1] == top and len(found) > 1
    assert found[1:] == [pid for pid in fused[1:] if pid in sides]  # in fused order


@pytest.mark.slow
def test_a_table_of_contents_takes_none_of_a_sides_best_places(svc, embedder,
                                                                tmp_path: Path) -> None:
    """A manual's contents pages list every section's title, so they head both sides for a
    question in those words; the sections come after them and still fill each side's places."""
    entries = [f"Volcano {name} erupts in Sicily . . . . . . . . {page}"
               for page, name in enumerate(["Etna", "Stromboli", "Vulcano", "Panarea",
                                            "Lipari", "Salina", "Alicudi", "Filicudi"] * 3, 2)]
    sections = [f"{name} is a volcano. It last erupted in {year}, and lava reached the sea."
                for name, year in (("Etna", 2021), ("Stromboli", 2019), ("Vulcano", 1890))]
    (tmp_path / "manual.md").write_text("# Contents\n\n" + "\n".join(entries) + "\n\n"
                                        + "\n\n".join(sections))
    svc.ingest([tmp_path / "manual.md"])
    question = "Which volcano erupts in Sicily?"
    dense, sparse = embedder.embed_query(question), lexical.query_vector(question)
    found = svc.store.search(dense, sparse, 1, side_best=2)
    sides = svc.store._query_sides(dense, sparse, svc.store._where(None, None), fusion_depth(1))
    texts = {h.chunk_id: h.text for h in svc.store.search(dense, sparse, 100)}
    listed = {chunk_id: is_contents(text) for chunk_id, text in texts.items()}
    assert any(listed[str(pid)] for side in sides for pid, _ in side[1:3])  # the case
    placed = {str(pid) for side in sides
              for pid in [pid for pid, _ in side if not listed[str(pid)]][:2]}
    fused = [str(pid) for pid, _ in fuse_dbsf([(FUSION_WEIGHTS[DENSE], sides[0]),
                                               (FUSION_WEIGHTS[SPARSE], sides[1])])]
    assert [h.chunk_id for h in found] == fused[:1] + [pid for pid in fused[1:] if pid in placed]


def test_pending_chunks_are_hidden_and_a_crash_leaves_nothing(settings, embedder, engine,
                                                               tmp_path: Path) -> None:
    svc = open_service(settings, embedder, engine)
    (tmp_path / "live.txt").write_text("Penguins live in the southern hemisphere.")
    svc.ingest([tmp_path / "live.txt"])
    text = "Penguins huddle together to keep warm in Antarctic winters."
    chunk = Chunk("f" * 32, "half.txt", "half", 0, None, 0, len(text), text, 12)
    svc.store.upsert_pending([chunk], embedder.embed_documents([text]),
                             [lexical.document_vector(text)], 1, "text/plain")
    for mode in ("dense", "sparse", "hybrid"):
        hits = svc.search("penguins huddle warm winters", top_k=5, mode=mode)
        assert hits and all(h.source != "half.txt" for h in hits), mode
    assert svc.store.live_copy_of("f" * 32) is None
    svc.close()  # the process "dies" before activating
    reopened = open_service(settings, embedder, engine)
    assert reopened.store.size() == 1  # the pending point was dropped on opening
    reopened.close()


class Crash(BaseException):
    """The process dying at a chosen step: nothing after it runs."""


@pytest.mark.parametrize("crash_at", ["retired", "live"])
def test_a_crash_while_a_changed_file_is_swapped_in_keeps_one_version(
        settings, embedder, engine, tmp_path: Path, monkeypatch, crash_at: str) -> None:
    svc = open_service(settings, embedder, engine)
    (tmp_path / "kettle.txt").write_text("Descale the kettle every month with vinegar.")
    svc.ingest([tmp_path / "kettle.txt"])
    (old,) = svc.documents()
    text = "Descale the kettle every week with citric acid."
    chunk = Chunk("a" * 32, old.source, "kettle", 0, None, 0, len(text), text, 9)
    svc.store.upsert_pending([chunk], embedder.embed_documents([text]),
                             [lexical.document_vector(text)], 1, "text/plain")
    real = svc.store._set_payload
    steps: list[str] = []

    def set_payload(ids, payload):  # the process dies after the step `crash_at`
        real(ids, payload)
        steps.append(payload["status"])
        if payload["status"] == crash_at:
            raise Crash

    monkeypatch.setattr(svc.store, "_set_payload", set_payload)
    with pytest.raises(Crash):
        svc.store.activate("a" * 32, old.source, 1)
    svc.close()
    reopened = open_service(settings, embedder, engine)
    (kept,) = reopened.documents()
    # before the new version went live the old one is searchable again; after, the new one
    assert kept.doc_id == (old.doc_id if crash_at == "retired" else "a" * 32)
    assert reopened.store.size() == 1
    (hit,) = reopened.search("How often should I descale the kettle?", top_k=1)
    assert hit.doc_id == kept.doc_id
    reopened.close()


def test_every_view_of_a_collection_hides_a_write_under_way(svc, embedder) -> None:
    """The chat's views of a collection are store objects of their own: a document one of
    them is writing stays unsearchable through the others, and opening one more keeps it."""
    text = "Penguins huddle together to keep warm in Antarctic winters."
    chunk = Chunk("f" * 32, "half.txt", "half", 0, None, 0, len(text), text, 12)
    svc.store.upsert_pending([chunk], embedder.embed_documents([text]),
                             [lexical.document_vector(text)], 1, "text/plain")
    other = svc.store.with_collection(svc.store.collection)
    other.ensure_collection()
    assert svc.store.count("f" * 32, "pending") == 1  # not taken for a crash's residue
    question = embedder.embed_query("penguins huddle warm winters")
    sparse = lexical.query_vector("penguins huddle warm winters")
    for mode in ("dense", "sparse", "hybrid"):
        assert not other.search(question, sparse, 5, mode), mode
    svc.store.activate("f" * 32, "half.txt", 1)
    assert [h.source for h in other.search(question, sparse, 5, "hybrid")] == ["half.txt"]


def test_deleting_a_document_leaves_its_new_version_being_written(svc, embedder,
                                                                    tmp_path: Path) -> None:
    """A delete by path while a re-ingest of that path is under way removes the version
    stored; the new one's chunks stay for its ingest, which then makes it live."""
    old = tmp_path / "kettle.txt"
    old.write_text("Descale the kettle every month.")
    svc.ingest([old])
    text = "Descale the kettle every week with citric acid."
    chunk = Chunk("a" * 32, str(old), "kettle", 0, None, 0, len(text), text, 9)
    svc.store.upsert_pending([chunk], embedder.embed_documents([text]),
                             [lexical.document_vector(text)], 1, "text/plain")
    (deleted,) = svc.store.delete(str(old))
    assert deleted.doc_id != "a" * 32 and svc.store.count("a" * 32, "pending") == 1
    svc.store.activate("a" * 32, str(old), 1)
    (kept,) = svc.documents()
    assert kept.doc_id == "a" * 32 and svc.store.size() == 1


def test_a_disk_nearly_full_is_said_not_a_crash(settings, embedder, tmp_path: Path,
                                                 monkeypatch) -> None:
    """The edge store's files are sparse and mapped in memory: a write into one on a full
    disk kills the process (SIGBUS). Short of room, a write and an open are refused first."""
    from rag.stores import base

    svc = open_service(settings, embedder, "edge")
    (tmp_path / "kettle.txt").write_text("Descale the kettle every month with vinegar.")
    free = shutil.disk_usage(tmp_path).free
    monkeypatch.setattr(base, "MIN_FREE_BYTES", free + 2**30)  # this disk, as if nearly full
    report = svc.ingest([tmp_path / "kettle.txt"])
    (failed,) = report.files
    assert failed.status == "failed" and "MB free, under the" in failed.error
    assert "free some space, or set RAG_DATA_DIR" in failed.error
    assert svc.store.size() == 0
    svc.close()
    with pytest.raises(StoreError, match="The disk holding the embedded store at"):
        open_service(settings, embedder, "edge")
    monkeypatch.setattr(base, "MIN_FREE_BYTES", 64 * 2**20)
    reopened = open_service(settings, embedder, "edge")
    assert reopened.ingest([tmp_path / "kettle.txt"]).files[0].status == "ingested"
    reopened.close()


def test_failed_write_is_discarded(svc, tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "long.txt"
    f.write_text(" ".join(f"Paragraph {i} about lighthouses and keepers." for i in range(600)))
    real, calls = svc.embedder.embed_documents_with_sentences, []

    def flaky(texts, spans, token_counts=None):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("embedding backend went away")
        return real(texts, spans, token_counts)

    monkeypatch.setattr(svc.pipeline, "batch_size", 4)
    monkeypatch.setattr(svc.embedder, "embed_documents_with_sentences", flaky)
    assert svc.ingest([f]).files[0].status == "failed"
    assert svc.store.size() == 0


@pytest.mark.slow
def test_reopen_keeps_documents_and_version_and_checks_the_embedder(
        settings, embedder, engine, corpus: Path) -> None:
    first = open_service(settings, embedder, engine)
    first.ingest([corpus])
    first.close()
    second = open_service(settings, embedder, engine)
    assert len(second.documents()) == 3 and second.store.version() == 1
    with pytest.raises(ConfigError, match="open in another process"):
        open_service(settings, embedder, engine)
    second.close()
    remote = SimpleNamespace(name="workers-ai:@cf/baai/bge-base-en-v1.5", known_dimension=768)
    other = make_store(settings.model_copy(update={"qdrant_engine": engine}), remote)
    with pytest.raises(EmbedderMismatchError) as info:
        other.ensure_collection()
    other.close()
    message = str(info.value)
    assert "local:all-MiniLM-L6-v2-int8" in message and "bge-base-en-v1.5" in message
    # the same model at the other precision, as a library filled before int8 was the default
    fp32 = SimpleNamespace(name="local:all-MiniLM-L6-v2", known_dimension=384)
    older = make_store(settings.model_copy(update={"qdrant_engine": engine}), fp32)
    with pytest.raises(EmbedderMismatchError) as info:
        older.ensure_collection()
    older.close()
    assert "Set RAG_LOCAL_PRECISION=int8 to open it" in str(info.value)


def test_collections_views_and_drop(svc, corpus: Path) -> None:
    workspace = Workspace(svc)
    svc.ingest([corpus / "notes.txt"])
    view = workspace.create_collection("second")
    assert workspace.collections() == ["docs", "second"] and view.store.version() > 1
    made = workspace.made("second")
    view.ingest([corpus / "otters.md"])
    assert workspace.made("second") == made  # an ingest changes the version, not the making
    rows = workspace.document_rows("second")
    assert [r.name for r in rows] == ["otters.md"] and rows[0].ingested_at
    assert [d.source for d in svc.documents()] == [str(corpus / "notes.txt")]
    otters = rows[0].doc_id
    assert view.store.holds(otters) and not svc.store.holds(otters)
    assert workspace.has_collection("second") and workspace.has_collection("docs")
    workspace.delete_collection("second")
    assert workspace.collections() == ["docs"] and not workspace.has_collection("second")
    with pytest.raises(ConfigError, match="no collection named 'second'"):
        workspace.view("second")  # a view never makes one again
    assert not workspace.has_collection("second")
    assert workspace.made("second") is None
    workspace.create_collection("second")
    assert workspace.made("second") not in (None, made)  # made again: another collection
    born = svc.store.with_collection("third")
    born.ensure_collection()  # seen by other doors from here on: with its identity already
    assert born.made() > 0


def test_a_collection_deleted_under_a_reader_is_missing_to_it(svc, embedder,
                                                             corpus: Path) -> None:
    """A question holding a view of a collection another door deletes: its searches and
    listings say the collection is missing (a 404 to the API), not a store's own error."""
    workspace = Workspace(svc)
    workspace.create_collection("second").ingest([corpus / "otters.md"])
    reader = workspace.view("second").store
    question = embedder.embed_query("otters")
    assert reader.search(question, lexical.query_vector("otters"), 3, "hybrid")
    workspace.delete_collection("second")
    with pytest.raises(CollectionMissing, match="'second' was deleted"):
        reader.search(question, lexical.query_vector("otters"), 3, "hybrid")
    with pytest.raises(CollectionMissing):
        reader.document_payloads()
    with pytest.raises(CollectionMissing, match="no collection named 'second'"):
        workspace.delete_collection("second")


@pytest.mark.slow
def test_a_collection_deleted_while_searched_fails_only_those_searches(
        svc, embedder, corpus: Path) -> None:
    """Searches in flight when a collection is deleted end, or say it is missing; the delete
    waits for them rather than closing the store under them (which the edge engine refuses,
    leaving the collection's files locked), and the name can be made again at once."""
    workspace = Workspace(svc)
    workspace.create_collection("second").ingest([corpus])
    reader = workspace.view("second").store
    question, sparse = embedder.embed_query("volcano"), lexical.query_vector("volcano")
    outcomes: list[str] = []
    searching = threading.Event()

    def search_until_missing() -> None:
        deadline = time.monotonic() + 120  # the delete comes long before: no timing asserted
        while time.monotonic() < deadline:
            try:
                reader.search(question, sparse, 3, "hybrid")
            except CollectionMissing:
                outcomes.append("missing")
                return
            except Exception as exc:  # noqa: BLE001 - what the test is about
                outcomes.append(f"{type(exc).__name__}: {exc}")
                return
            searching.set()
        outcomes.append("never missing")

    threads = [threading.Thread(target=search_until_missing) for _ in range(4)]
    for thread in threads:
        thread.start()
    searching.wait(30)
    workspace.delete_collection("second")
    for thread in threads:
        thread.join(60)
    assert outcomes == ["missing"] * 4
    again = workspace.create_collection("second")
    again.ingest([corpus / "otters.md"])
    assert [d.source for d in again.documents()] == [str(corpus / "otters.md")]


def test_an_edge_collection_is_closed_only_once_its_readers_are_done(settings,
                                                                     embedder) -> None:
    svc = open_service(settings, embedder, "edge")
    client, name = svc.store.client, svc.store.collection
    inside, release = threading.Event(), threading.Event()

    def slow_count(shard) -> int:
        inside.set()
        release.wait(30)
        return shard.count(qe.CountRequest(exact=True))

    counted: list[int] = []
    reader = threading.Thread(target=lambda: counted.append(client.on_shard(name, slow_count)))
    reader.start()
    inside.wait(30)
    dropper = threading.Thread(target=client.drop, args=(name,))
    dropper.start()
    dropper.join(0.5)
    assert dropper.is_alive()  # waiting for the count under way
    late: list[BaseException] = []
    latecomer = threading.Thread(target=lambda: late.append(pytest.raises(
        CollectionMissing, client.on_shard, name, slow_count).value))
    latecomer.start()
    release.set()
    for thread in (reader, dropper, latecomer):
        thread.join(30)
    assert counted == [0] and not client.exists(name)
    assert "was deleted" in str(late[0])
    svc.store.ensure_collection()  # the same folder, its log unlocked
    assert svc.store.size() == 0
    svc.close()


@pytest.mark.slow
def test_both_engines_rank_alike(settings, embedder, corpus: Path) -> None:
    (corpus / "codes.txt").write_text("Error QX7731 means the flux capacitor is misaligned.")
    ranked = {}
    for engine in ENGINES:
        svc = open_service(settings.model_copy(update={"data_dir": settings.data_dir / engine}),
                           embedder, engine)
        svc.ingest([corpus])
        ranked[engine] = [[(h.chunk_id, round(h.score, 3)) for h in svc.search(q, 4, mode)]
                          for q in ("volcano in Sicily", "otters rocks", "QX7731 error")
                          for mode in ("dense", "sparse", "hybrid")]
        svc.close()
    assert ranked["local"] == ranked["edge"]


def test_edge_store_keeps_each_vector_exactly(settings, embedder) -> None:
    """The edge store is handed float32 rows as buffers (not lists of floats): each point
    must hold its own chunk's vector, value for value."""
    svc = open_service(settings, embedder, "edge")
    texts = ["Glaciers carve valleys over millennia.", "Bees dance to share where food is."]
    chunks = [Chunk("e" * 32, "bees.txt", "bees", n, None, 0, len(t), t, 8)
              for n, t in enumerate(texts)]
    dense = embedder.embed_documents(texts)
    svc.store.upsert_pending(chunks, dense, [lexical.document_vector(t) for t in texts], 2,
                             "text/plain")
    svc.store.activate("e" * 32, "bees.txt", 2)
    for n, row in enumerate(dense):  # each vector finds itself: stored as it was given
        (hit,) = svc.store.search(row, None, 1, "dense")
        assert hit.chunk_id == point_id("e" * 32, n) and hit.score == pytest.approx(1, abs=1e-6)
    svc.close()



def test_the_edge_store_keeps_read_passages_until_they_are_written(
        settings, embedder, corpus: Path, tmp_path: Path, monkeypatch) -> None:
    """A search's passages are read and decoded once: the same search again reads no payload
    and gives the same hits; an ingest of another document leaves them kept. A passage
    written again is read again, as it now is."""
    svc = open_service(settings, embedder, "edge")
    svc.ingest([corpus])
    store_type = type(svc.store)
    reads: list[int] = []
    read_payloads = store_type._payloads

    def counted(store, ids):
        reads.append(len(ids))
        return read_payloads(store, ids)

    monkeypatch.setattr(store_type, "_payloads", counted)
    question = "Which volcano erupts in Sicily?"
    first, again = (svc.search(question, 3, "hybrid") for _ in range(2))
    assert len(reads) == 1 and reads[0] >= 3
    assert [(h.chunk_id, h.score, h.text) for h in again] == [
        (h.chunk_id, h.score, h.text) for h in first]
    other = tmp_path / "other.txt"
    other.write_text("Lichens grow on the north side of the old stone wall.")
    svc.ingest([other])
    assert [h.chunk_id for h in svc.search(question, 3, "hybrid")] == [
        h.chunk_id for h in first] and reads[1:] == [1]  # the new passage, now a candidate

    best = first[0]
    payload = {**svc.store._payload(best.chunk_id), "text": "Etna erupts in Sicily, again."}
    svc.store.upsert_points([best.chunk_id], embedder.embed_documents([payload["text"]]),
                            [lexical.document_vector(payload["text"])], [payload])
    rewritten = {h.chunk_id: h.text for h in svc.search(question, 3, "hybrid")}
    assert rewritten[best.chunk_id] == payload["text"] and reads[2:] == [1]
    svc.close()


def test_a_passage_read_before_a_write_is_not_kept() -> None:
    cache = PassageCache(size=2)
    hits = {n: Hit(f"d{n}", f"doc{n}.txt", None, f"c{n}", 0.0, f"text {n}") for n in range(3)}
    generation = cache.generation
    cache.forget()  # a write while the passages were being read
    cache.put(hits, generation)
    assert len(cache) == 0
    cache.put(hits, cache.generation)
    assert sorted(cache.get(range(3))) == [1, 2]  # the least recently used went first
    cache.forget([1])
    assert sorted(cache.get(range(3))) == [2]

def test_phrases_rank_above_scattered_words(svc, tmp_path: Path) -> None:
    folder = tmp_path / "phrases"
    folder.mkdir()
    (folder / "stand.txt").write_text("Our hot dog stand sells lemonade by the beach.")
    (folder / "walk.txt").write_text("The dog was hot after the walk by the beach, so he drank.")
    svc.ingest([folder])
    assert svc.store.lexical_scheme == lexical.SCHEME
    for mode in ("sparse", "hybrid"):
        assert svc.search("hot dog by the beach", top_k=2, mode=mode)[0].source.endswith(
            "stand.txt"), mode


def test_a_name_is_looked_up_in_the_library_on_each_engine(svc, tmp_path: Path) -> None:
    """A name the question writes ("CUDA", "GPU") and no passage given holds is looked up in
    the whole collection by its terms: held in another form ("GPUs"), it is no unmentioned
    word; written nowhere, it is."""
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "gpus.txt").write_text("Two GPUs share the PostgreSQL server's memory.")
    (folder / "cpu.txt").write_text("The garbage collector frees memory on the CPU.")
    svc.ingest([folder])
    asked = "How does the garbage collector handle CUDA GPU memory in PostgreSQL?"
    assert svc.retriever.unheld(asked, []) == ("CUDA",)


def test_a_collection_indexed_before_phrases_is_searched_as_before(
        settings, embedder, engine, corpus: Path) -> None:
    first = open_service(settings, embedder, engine)
    first.ingest([corpus])
    first.store._set_metadata({"lexical": None})  # as the version before schemes left it
    first.close()
    old = open_service(settings, embedder, engine)
    assert old.store.lexical_scheme == lexical.UNIGRAM_SCHEME
    question = "Which volcano erupts in Sicily?"
    assert old.search(question, 3, "sparse")[0].source.endswith("etna.pdf")
    unigram = lexical.query_vector(question, lexical.UNIGRAM_SCHEME)
    assert unigram == (sorted(lexical.term_index(t) for t in set(lexical.terms(question))),
                       [1.0] * len(set(lexical.terms(question))))
    old.store._set_metadata({"lexical": "bm25-from-the-future"})
    old.close()
    with pytest.raises(ConfigError, match="newer version.*restart a running engine"):
        open_service(settings, embedder, engine)


def reopened_as_filled_by(scheme: str, settings: Settings, embedder, engine: str,
                          corpus: Path) -> RagService:
    """The corpus ingested into a collection then recorded as filled by an earlier lexical
    `scheme`, opened again."""
    first = open_service(settings, embedder, engine)
    first.ingest([corpus])
    first.store._set_metadata({"lexical": scheme})
    first.close()
    old = open_service(settings, embedder, engine)
    assert old.store.lexical_scheme == scheme
    return old


def added_file(old: RagService, corpus: Path, name: str, text: str) -> str:
    """A file added to the collection now: indexed as its queries read words."""
    added = corpus / "added"
    added.mkdir()
    (added / name).write_text(text)
    assert old.ingest([added]).ok
    return str(added / name)


def test_a_collection_indexed_before_words_of_every_script_is_searched_as_before(
        settings, embedder, engine, corpus: Path) -> None:
    old = reopened_as_filled_by(lexical.SPACED_SCHEME, settings, embedder, engine, corpus)
    assert old.search("Which volcano erupts in Sicily?", 3, "sparse")[0].source.endswith(
        "etna.pdf")
    strasse = added_file(old, corpus, "strasse.txt",
                         "Die Straße nach Köln ist gesperrt. 大熊猫每天吃竹子。")
    for query in ("Straße", "大熊猫每天吃竹子"):
        assert [h.source for h in old.search(query, 3, "sparse")] == [strasse], query
    old.close()


def test_a_collection_indexed_before_accents_were_taken_off_is_searched_as_before(
        settings, embedder, engine, corpus: Path) -> None:
    old = reopened_as_filled_by(lexical.ACCENTED_SCHEME, settings, embedder, engine, corpus)
    # its words as written only, as that version indexed them
    flore = added_file(old, corpus, "flore.txt", "Le café de Flore ouvre à sept heures.")
    assert old.search("café", 3, "sparse")[0].source == flore
    assert flore not in [h.source for h in old.search("cafe", 3, "sparse")]
    old.close()


def test_a_collection_indexed_before_dotted_names_were_terms_is_searched_as_before(
        settings, embedder, engine, corpus: Path) -> None:
    old = reopened_as_filled_by(lexical.UNDOTTED_SCHEME, settings, embedder, engine, corpus)
    # the name by its pieces, as that version indexed it: "as" is a stop word
    assert lexical.query_vector("as.vector", lexical.UNDOTTED_SCHEME) == (
        [lexical.term_index("vector")], [1.0])
    arrays = added_file(old, corpus, "arrays.txt", "To coerce an array use as.vector().")
    assert old.search("as.vector", 3, "sparse")[0].source == arrays
    # and never said to be missing: such a collection cannot tell
    assert old.retriever.unheld("What does as.matrix do?", []) == ()
    old.close()


def test_a_collection_indexed_before_operators_were_terms_is_searched_as_before(
        settings, embedder, engine, corpus: Path) -> None:
    old = reopened_as_filled_by(lexical.OPERATORLESS_SCHEME, settings, embedder, engine,
                                corpus)
    # its vectors hold no operator, so its queries ask none; dotted names it holds
    assert lexical.query_vector("x %in% y", lexical.OPERATORLESS_SCHEME) == (
        lexical.query_vector("x y", lexical.OPERATORLESS_SCHEME))
    matching = added_file(old, corpus, "matching.txt", "Use is.element or x %in% table.")
    assert old.search("is.element", 3, "sparse")[0].source == matching
    assert old.search("x %in% table", 3, "sparse")[0].source == matching
    # and never said to be missing: such a collection cannot tell
    assert old.retriever.unheld("What does %o% do?", []) == ()
    old.close()


def test_weighted_dbsf_fusion() -> None:
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    sparse = [("c", 12.0), ("b", 6.0)]
    fused = dict(fuse_dbsf([(1.0, dense), (1.5, sparse)]))
    # each list is mapped so its mean is 0.5 and three deviations either side span 0..1
    assert fused["a"] == pytest.approx(0.5 + (0.9 - 0.6) / (6 * 0.3559), rel=1e-3)
    assert fused["c"] > fused["b"] > fused["a"]  # the lexical side weighs more
    assert [pid for pid, _ in fuse_dbsf([(1.0, dense), (1.0, [])])] == ["a", "b", "c"]
    assert fuse_dbsf([(1.0, [("x", 3.0)])]) == [("x", 1.0)]  # one score: no spread
    # equal scores (the same page in two files) in one order, whatever order they came in
    tied = [("q", 0.5), ("p", 0.5), ("o", 0.1)]
    assert [pid for pid, _ in fuse_dbsf([(1.0, tied)])] == ["p", "q", "o"]
    assert [pid for pid, _ in fuse_dbsf([(1.0, [tied[1], tied[0], tied[2]])])] == ["p", "q", "o"]


class LearntLength(SimpleNamespace):
    """An embedder whose vector length is learnt from its model (a probe request), as an
    OpenAI-compatible one's is when no setting gives it; `probes` counts the requests."""

    def __init__(self) -> None:
        super().__init__(name="openai:probed", known_dimension=None, probes=0)

    @property
    def dimension(self) -> int:
        self.probes += 1
        return 8


@pytest.mark.parametrize("engine", ENGINES)
def test_a_collection_made_beside_another_records_a_learnt_length_as_learnt(
        settings: Settings, engine: str) -> None:
    """Made with the length the model gave, an empty collection opens without asking the
    model again; only one made with a length a setting gave asks it, in case the setting
    was a mistake now unset."""
    embedder = LearntLength()
    store = make_store(settings.model_copy(update={"qdrant_engine": engine}), embedder)
    try:
        store.ensure_collection()
        store.with_collection("other").ensure_collection()
        assert embedder.probes == 1
    finally:
        store.close()
    later = LearntLength()  # the model down, say: asking it would fail
    reopened = make_store(settings.model_copy(update={
        "qdrant_engine": engine, "collection": "other"}), later)
    try:
        reopened.ensure_collection()  # empty, its length learnt: the model is not asked
        assert reopened.dimension == 8 and later.probes == 0
    finally:
        reopened.close()


def test_equal_scores_come_back_in_one_order_whatever_order_they_were_written(
        svc, tmp_path: Path) -> None:
    texts = {"a.txt": "Otters eat shellfish near rocks.",
             "b.txt": "Near rocks, otters eat shellfish."}
    orders = []
    for names in (["a.txt", "b.txt"], ["b.txt", "a.txt"]):
        for name in names:
            folder = tmp_path / name.removesuffix(".txt")
            folder.mkdir(exist_ok=True)
            (folder / name).write_text(texts[name])
            svc.ingest([folder])
        hits = svc.search("otters eat shellfish", top_k=2, mode="sparse")
        assert len(hits) == 2 and hits[0].score == hits[1].score
        orders.append([hit.source for hit in hits])
        for name in names:
            svc.delete(str(tmp_path / name.removesuffix(".txt") / name))
    assert orders[0] == orders[1]


@pytest.mark.slow
def test_an_embedded_store_written_for_long_keeps_its_log_trimmed(settings: Settings, embedder,
                                                                  monkeypatch) -> None:
    """A shard's write-ahead log keeps every write until its segments are written out: an
    engine that ingests for days must write them out as it goes, not only when it stops."""
    monkeypatch.setattr(edge, "FLUSH_SECONDS", 0.0)
    service = open_service(settings, embedder, "edge")
    try:
        store = service.store
        ids = [point_id("doc", n) for n in range(5000)]
        rng = np.random.default_rng(0)
        for _ in range(12):  # the same points rewritten: the library's size stays the same
            store.upsert_points(ids, rng.random((len(ids), store.dimension), np.float32),
                                [([1], [1.0])] * len(ids), [{"text": "x" * 500}] * len(ids))
        log = settings.resolved_qdrant_path / "edge" / store.collection / "shard" / "wal"
        written = sum(f.stat().st_size for f in log.rglob("*") if f.is_file())
        assert written < 4 * 32 * 2**20  # its last few 32 MB segments; unflushed, seven
    finally:
        service.close()
