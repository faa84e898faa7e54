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
    for name in ("bad32.pdf", "bad34.pdf"):  # pdfium reads no text from them; pypdf does
        assert by_name[name].status in ("ingested", "unchanged"), by_name[name]
    stored = {d.doc_id for d in service.documents()}
    ingested = {f.doc_id for f in report.files if f.status == "ingested"}
    assert ingested and ingested <= stored
    assert service.store.size() == sum(
        d.chunks for d in service.documents())  # no pending leftovers from failed files


def test_what_pdfium_cannot_read_of_a_damaged_pdf_pypdf_reads(service) -> None:
    """bad34.pdf's page fails to load in pdfium, bad32.pdf's page has no text in pdfium (its
    content stream is numbered wrong); pypdf repairs both and reads their one word."""
    folder = shared_path("data", "pdfs", "malformed", "qpdf")
    files = [folder / "bad32.pdf", folder / "bad34.pdf"]
    report = service.ingest(files)
    assert [(f.status, f.warnings) for f in report.files] == [("ingested", [])] * 2, report
    hits = service.search("Potato", top_k=10)
    assert {h.doc_id for h in hits} >= {f.doc_id for f in report.files}
    assert all("Potato" in h.text and h.page == 1 for h in hits)


def test_real_manual_ingests_then_is_unchanged(service) -> None:
    manual = shared_path("data", "pdfs", "real", "R-data.pdf")
    first = service.ingest([manual]).files[0]
    assert first.status == "ingested" and first.chunks > 50
    hits = service.search("How do I read a CSV file into a data frame?", top_k=5)
    assert any("read.csv" in h.text or "read.table" in h.text for h in hits)
    assert all(h.page for h in hits)
    assert service.ingest([manual]).files[0].status == "unchanged"


def test_a_damaged_pdfs_repairs_are_not_printed(env, tmp_path: Path, monkeypatch) -> None:
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
    assert f"ingested {folder / 'bad34.pdf'}: 1 chunk" in output  # its page read by pypdf
    assert "startxref" not in output.replace("startxref not found", "")  # pypdf's repairs
    assert "PdfReadError(" not in output and "EOF marker" not in output
    assert "unreadable" not in output  # the raw record behind the reason

    data_dir = tmp_path / "alone"  # a fresh store: bad34.pdf is read again, not "unchanged"
    monkeypatch.setenv("RAG_DATA_DIR", str(data_dir))
    alone = rag_ingest(folder / "bad34.pdf")  # parsed here: its record goes to the log
    assert alone.returncode == 0
    assert "unreadable" not in alone.stdout + alone.stderr
    log = (data_dir / "logs" / "rag.jsonl").read_text()
    assert '"logger": "ingest.formats.pdf"' in log and "page 1 unreadable" in log
    assert "bad34.pdf: page 1 read by pypdf" in log


def rag_ingest(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag", "ingest", str(path)],
                          capture_output=True, text=True, timeout=300, check=False)
