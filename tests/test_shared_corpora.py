"""Real-world files from ../shared: damaged and encrypted PDFs, and real manuals.

Marked slow (CI runs them); skipped with a reason when ../shared is not beside the checkout.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path

pytestmark = pytest.mark.slow


def test_malformed_pdfs_are_each_reported_and_the_rest_stored(service) -> None:
    folder = shared_path("data", "pdfs", "malformed")
    files = sorted(folder.rglob("*.pdf"))
    report = service.ingest([folder])
    assert len(report.files) == len(files)  # every file has an outcome; none crashed the batch
    by_name = {Path(f.path).name: f for f in report.files}
    for f in report.files:
        if f.status == "failed":
            assert f.error and Path(f.path).name in f.error, f
    for name in ("r2-user-password.pdf", "r4-aes-user-password.pdf",
                 "libreoffice-writer-password.pdf"):
        assert by_name[name].status == "failed" and "password" in by_name[name].error
    assert by_name["r2-empty-password.pdf"].status in ("ingested", "unchanged")
    stored = {d.doc_id for d in service.documents()}
    ingested = {f.doc_id for f in report.files if f.status == "ingested"}
    assert ingested and ingested <= stored
    assert service.store.size() == sum(
        d.chunks for d in service.documents())  # no pending leftovers from failed files


def test_real_manual_ingests_then_is_unchanged(service) -> None:
    manual = shared_path("data", "pdfs", "real", "R-data.pdf")
    first = service.ingest([manual]).files[0]
    assert first.status == "ingested" and first.chunks > 50
    hits = service.search("How do I read a CSV file into a data frame?", top_k=5)
    assert any("read.csv" in h.text or "read.table" in h.text for h in hits)
    assert all(h.page for h in hits)
    assert service.ingest([manual]).files[0].status == "unchanged"


def test_a_damaged_pdfs_repairs_are_not_printed(env, tmp_path: Path) -> None:
    """pypdf logs each repair it tries, and the parsers' warnings are log records too: the
    user sees one line per file, with its reason, whichever process parsed it."""
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / "a.txt").write_text("A plain file, parsed in the command's own process.")
    for name in ("bad34.pdf", "bad35.pdf", "issue-100.pdf",
                 "issue-146.pdf"):  # parsed in the worker
        source = shared_path("data", "pdfs", "malformed", "qpdf", name)
        (folder / name).write_bytes(source.read_bytes())
    done = rag_ingest(folder)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "issue-100.pdf: cannot read the PDF" in output
    assert "issue-146.pdf: cannot read the PDF: damaged" in output
    # pypdf's assertion has no text: its name alone, not "(AssertionError: )"
    assert "bad35.pdf: cannot read the PDF: damaged, or built in a way its readers do not " \
        "understand (AssertionError)" in output
    assert "bad34.pdf: no extractable text: page 1 could not be read" in output
    assert "startxref" not in output.replace("startxref not found", "")  # pypdf's repairs
    assert "PdfReadError(" not in output and "EOF marker" not in output
    assert "unreadable" not in output  # the raw record behind the reason

    alone = rag_ingest(folder / "bad34.pdf")  # parsed here: its record goes to the log
    assert "unreadable" not in alone.stdout + alone.stderr
    log = (Path(env["RAG_DATA_DIR"]) / "logs" / "rag.jsonl").read_text()
    assert '"logger": "ingest.formats.pdf"' in log and "page 1 unreadable" in log


def rag_ingest(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag", "ingest", str(path)],
                          capture_output=True, text=True, timeout=300, check=False)
