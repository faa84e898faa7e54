"""Write small, valid PDFs with real text for tests (no PDF library needed to make them)."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from rag.evaluation.pdfpages import pdf_file


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[str], title: str | None = None, invisible: bool = False) -> bytes:
    """A PDF with one page per string, each line drawn in Helvetica (or, `invisible`, laid
    out but not drawn: text render mode 3, as OCR tools add a text layer over a scan)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        lines = "".join(f"({_escape(line)}) Tj T* " for line in text.splitlines())
        mode = "3 Tr " if invisible else ""
        stream = f"BT {mode}/F1 10 Tf 12 TL 40 800 Td {lines}ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_ids[i] + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    data = pdf_file(objects)
    if title:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.add_metadata({"/Title": title})
        buf = io.BytesIO()
        writer.write(buf)
        data = buf.getvalue()
    return data


def filler(sentence: str, times: int = 40) -> str:
    """Lines of text long enough to fill a chunk, so the next page starts a new one."""
    return (sentence + "\n") * times


def encrypt(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
