"""The uploads kept for the page viewer belong to the store that holds their documents: an
engine started on the same data folder with another store (another engine, path or server)
keeps its own apart and removes none of the first one's at start."""

from __future__ import annotations

from pathlib import Path

from rag.engine.workspace import Workspace
from rag.service import build_service
from tests.conftest import fresh_settings
from tests.pdfgen import make_pdf


def opened(tmp_path: Path, model_dir: Path, embedder, **values: object) -> Workspace:
    return Workspace(build_service(fresh_settings(tmp_path, model_dir, **values),
                                   embedder=embedder))


def kept_upload(workspace: Workspace, name: str, text: str) -> Path:
    data = make_pdf([text])
    result = workspace.service.ingest_bytes(name, data, f"upload:{name}")
    assert result.status == "ingested", result
    workspace.keep_original(result.doc_id, data)
    return workspace.uploads / f"{result.doc_id}.pdf"


def test_another_store_on_the_data_folder_sweeps_none_of_the_first_ones_uploads(
        tmp_path: Path, model_dir: Path, embedder) -> None:
    usual = opened(tmp_path, model_dir, embedder)
    try:
        pumps = kept_upload(usual, "pumps.pdf", "Pumps need oil every month.")
        assert pumps.parent == tmp_path / "data" / "uploads" and pumps.exists()
    finally:
        usual.close()
    other = opened(tmp_path, model_dir, embedder, qdrant_engine="local")
    try:
        other.forget_unheld_uploads()  # as every engine does at start
        assert pumps.exists()
        valves = kept_upload(other, "valves.pdf", "Valves are checked every week.")
        assert valves.parent.parent == pumps.parent and valves.exists()
    finally:
        other.close()
    back = opened(tmp_path, model_dir, embedder)
    try:
        back.forget_unheld_uploads()
        assert pumps.exists() and valves.exists()  # neither store's kept files were touched
        assert back.uploads == pumps.parent
    finally:
        back.close()


def test_a_kept_upload_no_collection_holds_is_still_removed_at_start(
        tmp_path: Path, model_dir: Path, embedder) -> None:
    workspace = opened(tmp_path, model_dir, embedder)
    try:
        held = kept_upload(workspace, "pumps.pdf", "Pumps need oil every month.")
        stray = workspace.uploads / "0123456789abcdef.pdf"
        stray.write_bytes(b"%PDF-1.4 left by a version replaced while the engine was down")
        workspace.forget_unheld_uploads()
        assert held.exists() and not stray.exists()
    finally:
        workspace.close()
