"""PDFs whose streams inflate far past their size (compression bombs): refused with the
reason before pdfium reads them, a piece at a time, whatever filters carry the bomb; real
PDFs and every filter's honest data pass."""

from __future__ import annotations

import base64
import binascii
import io
import random
import tracemalloc
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf._codecs._codecs import LzwCodec
from pypdf.filters import RunLengthDecode

from ingest.formats import pdf_streams
from ingest.formats.pdf_streams import decoded_size
from ingest.loaders import load_bytes
from rag.errors import DocumentError
from tests.pdfgen import encrypt, make_pdf, pdf_bomb, with_content_stream

MIB = 1 << 20
REAL_PDFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pdfs" / "real"
PAGE_TEXT = b"BT /F1 10 Tf 40 800 Td (Readers find this line) Tj ET\n"


def run_length(data: bytes) -> bytes:
    """PDF's RunLengthDecode encoding: runs as (257 - n, byte), the rest literally."""
    out, at = bytearray(), 0
    while at < len(data):
        run = 1
        while at + run < len(data) and run < 128 and data[at + run] == data[at]:
            run += 1
        if run > 1:
            out += bytes([257 - run, data[at]])
        else:
            out += bytes([0, data[at]])
        at += run
    return bytes(out + b"\x80")


def spaces(kib: int) -> bytes:
    return PAGE_TEXT + b" " * (kib * 1024)


def refused(data: bytes) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("bomb.pdf"), data)
    return info.value


@pytest.fixture
def small_bounds(monkeypatch):
    """Bounds of 1 MiB a stream and 4 MiB a file, so bombs can be small and quick."""
    monkeypatch.setattr(pdf_streams, "MAX_STREAM_BYTES", 1 * MIB)
    monkeypatch.setattr(pdf_streams, "MAX_INFLATED_BYTES", 4 * MIB)


def test_a_flate_bomb_is_refused_before_pdfium_inflates_it() -> None:
    bomb = pdf_bomb(inflated_mib=300)
    assert len(bomb) < MIB
    tracemalloc.start()
    try:
        error = refused(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB  # counted a piece at a time, never held
    assert error.reason == "too-large"
    assert str(error) == ("bomb.pdf: too large to read: a stream in it inflates to more than "
                          "256 MiB (a compression bomb?)")


@pytest.mark.parametrize(("filters", "encode"), [
    ("/FlateDecode", zlib.compress),
    ("[/FlateDecode /FlateDecode]", lambda data: zlib.compress(zlib.compress(data))),
    ("[/FlateDecode /RunLengthDecode]", lambda data: zlib.compress(run_length(data))),
    ("[/ASCIIHexDecode /FlateDecode]", lambda data: binascii.hexlify(zlib.compress(data)) + b">"),
    ("[/ASCII85Decode /FlateDecode]",
     lambda data: base64.a85encode(zlib.compress(data), wrapcol=72) + b"~>"),
    ("/LZWDecode", lambda data: LzwCodec().encode(data)),
    ("/RunLengthDecode", run_length),
    # a dictionary naming an image codec over data that is zlib's: inflated all the same
    ("/DCTDecode", zlib.compress),
], ids=["flate", "flate-twice", "flate-run-length", "hex-flate", "a85-flate", "lzw",
        "run-length", "mislabelled"])
def test_a_bomb_in_any_filter_chain_is_refused(small_bounds, filters: str, encode) -> None:
    error = refused(with_content_stream(encode(spaces(1500)), filters))
    assert "a stream in it inflates to more than 1 MiB (a compression bomb?)" in str(error)
    # the same chain under the bound: read, its text found through every filter
    if filters != "/DCTDecode":
        [page] = load_bytes(Path("fine.pdf"), with_content_stream(
            encode(spaces(500)), filters)).pages
        assert page.text.strip() == "Readers find this line"


def test_streams_each_within_the_bound_are_refused_together_past_the_files(
        small_bounds) -> None:
    pages = [zlib.compress(spaces(800)) for _ in range(6)]
    error = refused(with_content_stream(pages, "/FlateDecode"))
    assert "its streams inflate to more than 4 MiB (a compression bomb?)" in str(error)
    assert len(load_bytes(Path("fine.pdf"), with_content_stream(
        pages[:5], "/FlateDecode")).pages) == 5


def test_an_encrypted_bomb_is_measured_through_its_decryption(small_bounds) -> None:
    bomb = encrypt(with_content_stream(zlib.compress(spaces(1500)), "/FlateDecode"), "")
    assert zlib.compress(b" " * 1024)[:64] not in bomb  # its streams are ciphertext
    assert "a stream in it inflates to more than 1 MiB" in str(refused(bomb))
    fine = encrypt(with_content_stream(zlib.compress(spaces(500)), "/FlateDecode"), "")
    assert load_bytes(Path("fine.pdf"), fine).pages[0].text.strip() == "Readers find this line"


def test_a_bomb_in_a_folder_is_reported_and_the_batch_goes_on(service, tmp_path: Path
                                                               ) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a-bomb.pdf").write_bytes(pdf_bomb(inflated_mib=300))
    (folder / "b-good.pdf").write_bytes(make_pdf(["Badges are renewed every March."]))
    report = service.ingest([folder])
    outcome = {Path(f.path).name: (f.status, f.error) for f in report.files}
    assert outcome["b-good.pdf"] == ("ingested", None)
    assert outcome["a-bomb.pdf"][0] == "failed"
    assert "compression bomb" in outcome["a-bomb.pdf"][1]
    assert [document.title for document in service.documents()] == ["b-good"]


@pytest.mark.parametrize("size", [0, 1, 5, 4_000, 70_000])
def test_each_decoder_gives_back_what_its_encoder_packed(size: int) -> None:
    rng = random.Random(size)
    data = bytes(rng.choice(b"aab c\n") for _ in range(size)) + rng.randbytes(size // 10)
    encodings = {
        ("FlateDecode",): zlib.compress(data),
        ("LZWDecode",): LzwCodec().encode(data),
        ("RunLengthDecode",): run_length(data),
        ("ASCIIHexDecode",): binascii.hexlify(data) + b">",
        ("ASCII85Decode",): base64.a85encode(data, wrapcol=72) + b"~>",
        ("ASCII85Decode", "FlateDecode"): base64.a85encode(zlib.compress(data)) + b"~>",
    }
    assert RunLengthDecode.decode(run_length(data)) == data  # the test's encoder is PDF's
    for filters, encoded in encodings.items():
        pieces = pdf_streams._pieces(encoded)
        for name in filters:
            pieces = pdf_streams._DECODERS[name](pieces)
        assert b"".join(pieces) == data, filters
        assert decoded_size(encoded, filters, limit=MIB) == len(data)


def test_pdfium_reads_the_text_of_a_stream_the_check_let_through() -> None:
    """The readings agree with pdfium's: what it reads is what was counted."""
    data = with_content_stream(zlib.compress(spaces(1024)), "/FlateDecode")
    pdf = pdfium.PdfDocument(data)
    try:
        assert "Readers find this line" in pdf[0].get_textpage().get_text_bounded()
    finally:
        pdf.close()


@pytest.mark.skipif(not REAL_PDFS.is_dir(), reason=f"{REAL_PDFS} (real manuals) not present")
def test_real_manuals_pass_the_check() -> None:
    for path in sorted(REAL_PDFS.glob("*.pdf")):
        pdf_streams.check_inflation(path, path.read_bytes())


def test_a_compressed_pdf_from_a_pdf_library_passes_and_reads() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(
        ["The loading dock opens at seven.", "Visitors sign in at the desk."]))))
    for page in writer.pages:
        page.compress_content_streams()
    buffer = io.BytesIO()
    writer.write(buffer)
    assert b"/FlateDecode" in buffer.getvalue()
    pages = load_bytes(Path("compressed.pdf"), buffer.getvalue()).pages
    assert [page.text.strip() for page in pages] == [
        "The loading dock opens at seven.", "Visitors sign in at the desk."]
