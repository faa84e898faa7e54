"""Scanned PDFs and images read by Tesseract, as a user sees them: the words recovered, the
page numbers kept, a mixed PDF read both ways, the cited passage highlighted on the scan, and a
clear message naming the package when Tesseract is missing while the rest of the batch goes on.

These run wherever Tesseract (Debian's tesseract-ocr, tesseract-ocr-eng) is installed;
scripts/setup.sh installs it when run as root, so CI runs them (and fails if it could not).
"""

from __future__ import annotations

import io
import re
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Container
from pathlib import Path

import pytest

from ingest.formats import ocr
from ingest.formats.base import LoadOptions
from ingest.loaders import load_bytes
from rag.engine.engine import Engine
from rag.engine.workspace import Workspace
from rag.errors import DocumentError
from rag.service import build_service
from tests.conftest import fresh_settings
from tests.docgen import TEXT, full_page, page_images, scanned_image, scanned_pdf
from tests.pdfgen import make_pdf, stamped

# Tesseract reads every page: seconds a test
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tesseract")]


PAGE_ONE = full_page(1)  # about 400 words each
PAGE_TWO = full_page(2)


def recovered(original: str, read: str) -> float:
    """The fraction of the original's words found in what was read (case and punctuation
    aside; each word counted as often as it occurs)."""
    words = lambda text: Counter(re.findall(r"\w+", text.lower()))  # noqa: E731
    want, got = words(original), words(read)
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


def mixed_pdf() -> bytes:
    """Page 1 with a text layer, page 2 a scan: what a scanner's 'append' leaves."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (make_pdf([PAGE_ONE]), scanned_pdf([PAGE_TWO])):
        writer.append(PdfReader(io.BytesIO(data)))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_a_clean_150_dpi_scan_is_read_page_by_page() -> None:
    doc = load_bytes(Path("scan.pdf"), scanned_pdf([PAGE_ONE, PAGE_TWO], dpi=150))
    assert [p.number for p in doc.pages] == [1, 2]
    assert recovered(PAGE_ONE, doc.pages[0].text) >= 0.95
    assert recovered(PAGE_TWO, doc.pages[1].text) >= 0.95
    # each page holds its own lines, in order
    assert recovered(PAGE_TWO.splitlines()[0], doc.pages[1].text.splitlines()[0]) >= 0.9
    assert doc.warnings == ()


def test_a_mixed_pdf_gets_its_text_layer_and_its_scan_read() -> None:
    doc = load_bytes(Path("mixed.pdf"), mixed_pdf())
    assert doc.pages[0].text.splitlines() == PAGE_ONE.splitlines()  # the layer, exactly
    assert recovered(PAGE_TWO, doc.pages[1].text) >= 0.95


def test_ocr_modes_off_and_force() -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("scan.pdf"), scanned_pdf([PAGE_ONE]), options=LoadOptions(ocr="off"))
    assert info.value.reason == "empty" and "RAG_OCR=auto" in str(info.value)
    # a mixed PDF keeps its text pages and names the scan it did not read
    off = load_bytes(Path("mixed.pdf"), mixed_pdf(), options=LoadOptions(ocr="off"))
    assert [p.text.strip() != "" for p in off.pages] == [True, False]
    assert off.warnings == ("page 2 not OCR'd: OCR is off (RAG_OCR=auto reads them)",)

    # a scan under a wrong text layer (a bad earlier OCR) of a page's worth of text: auto
    # trusts the layer, force reads the page itself
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(scanned_pdf([PAGE_ONE]))))
    layer = PdfReader(io.BytesIO(make_pdf(["Quartz gizmos jumble vexing fjords.\n" * 8],
                                          invisible=True)))
    writer.pages[0].merge_page(layer.pages[0])
    buf = io.BytesIO()
    writer.write(buf)
    auto = load_bytes(Path("relayered.pdf"), buf.getvalue())
    assert "Quartz gizmos" in auto.pages[0].text
    forced = load_bytes(Path("relayered.pdf"), buf.getvalue(),
                        options=LoadOptions(ocr="force"))
    assert recovered(PAGE_ONE, forced.pages[0].text) >= 0.95
    assert "Quartz" not in forced.pages[0].text


STAMP = "Case 1:20-cv-01234-ABC Document 5 Filed 01/02/20 Page 1 of 1"


def test_a_scan_under_a_stamped_line_is_read_with_its_stamp() -> None:
    """An e-filing header stamped as text over a scanned page: the page is OCR'd all the
    same, and the stamp's line is kept, read by OCR or from the text layer."""
    filing = stamped(scanned_pdf([PAGE_ONE]), [(40, 825, STAMP), (480, 20, "ACME-000123")])
    doc = load_bytes(Path("filing.pdf"), filing)
    assert recovered(PAGE_ONE, doc.pages[0].text) >= 0.95
    assert recovered(STAMP + " ACME-000123", doc.pages[0].text) == 1.0
    assert doc.warnings == ()


def test_a_short_text_layer_ocr_does_not_see_is_kept_with_the_scan() -> None:
    """A scan under one invisible line (a label an earlier tool laid out, not drawn): auto
    reads the page, and keeps the line."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(scanned_pdf([PAGE_ONE]))))
    layer = PdfReader(io.BytesIO(make_pdf(["Exhibit 12: Quartz gizmos jumble vexing fjords."],
                                          invisible=True)))
    writer.pages[0].merge_page(layer.pages[0])
    buf = io.BytesIO()
    writer.write(buf)
    text = load_bytes(Path("labelled.pdf"), buf.getvalue()).pages[0].text
    assert recovered(PAGE_ONE, text) >= 0.95
    assert text.endswith("\nExhibit 12: Quartz gizmos jumble vexing fjords.")


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "TIFF"])
def test_images_are_read(kind: str) -> None:
    suffix = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tiff"}[kind]
    doc = load_bytes(Path(f"note{suffix}"), scanned_image(PAGE_ONE, kind=kind))
    assert [p.number for p in doc.pages] == [1]
    assert recovered(PAGE_ONE, doc.pages[0].text) >= 0.95
    assert doc.media_type.startswith("image/")


def blurred(image):
    """A page scanned out of focus: Tesseract still reads it, misreading many words."""
    from PIL import ImageFilter

    return image.filter(ImageFilter.GaussianBlur(2.2))


def test_an_image_read_poorly_is_ingested_with_a_warning_saying_so() -> None:
    [page] = page_images([PAGE_ONE])
    buf = io.BytesIO()
    blurred(page).save(buf, "PNG", dpi=(150, 150))
    doc = load_bytes(Path("photo.png"), buf.getvalue())
    assert doc.pages[0].text.strip()  # its words are kept, for what they are worth
    [warning] = doc.warnings
    assert warning.startswith("page 1 was read poorly by OCR (Tesseract's confidence in the "
                              "words ")
    assert warning.endswith("% at worst, under 80%): some words may be wrong; a sharper scan "
                            "(300 dpi) reads better")


def test_only_the_pages_read_poorly_are_named() -> None:
    first, second, third = page_images([PAGE_ONE, PAGE_TWO, full_page(3)])
    buf = io.BytesIO()
    first.save(buf, "PDF", resolution=150, save_all=True,
               append_images=[blurred(second), third])
    doc = load_bytes(Path("scan.pdf"), buf.getvalue())
    assert [p.number for p in doc.pages] == [1, 2, 3]
    [warning] = doc.warnings
    assert warning.startswith("page 2 was read poorly by OCR")


def test_each_frame_of_a_multipage_tiff_is_a_page() -> None:
    first, second = page_images([PAGE_ONE, PAGE_TWO])
    buf = io.BytesIO()
    first.save(buf, "TIFF", save_all=True, append_images=[second], dpi=(150, 150))
    doc = load_bytes(Path("fax.tif"), buf.getvalue())
    assert [p.number for p in doc.pages] == [1, 2]
    assert recovered(PAGE_TWO, doc.pages[1].text) >= 0.95


def test_pages_are_spread_over_the_workers_one_page_each(monkeypatch) -> None:
    """Four pages on two OCR workers: two pages are read at once, never more."""
    busy, most, lock = 0, 0, threading.Lock()
    real = ocr.read_image

    def counted(*args, **kwargs):
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                busy -= 1

    monkeypatch.setattr(ocr, "read_image", counted)
    doc = load_bytes(Path("four.pdf"), scanned_pdf([PAGE_ONE, PAGE_TWO] * 2),
                     options=LoadOptions(ocr_workers=2))
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    assert most == 2


def test_a_corrupt_image_is_reported() -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("photo.jpg"), scanned_image(PAGE_ONE, kind="JPEG")[:300])
    assert info.value.reason == "corrupt" and "photo.jpg" in str(info.value)


# --- images over the pixel bound, and damaged frames ----------------------------------------

NOTE = "A short note about the Glenridding jetty."


def note_page():
    [page] = page_images([NOTE])
    return page


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` pixels, holding almost no data."""
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("width", "height", "said"), [
    (8000, 8000, "8000x8000 pixels"),  # over our bound only
    (10000, 10000, "100,000,000 pixels"),  # over Pillow's warning too
    (20000, 20000, "400,000,000 pixels"),  # over Pillow's own refusal
])
def test_an_image_over_the_pixel_bound_is_refused_from_its_header(width: int, height: int,
                                                                  said: str) -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("poster.png"), png_declaring(width, height))
    assert (info.value.reason, str(info.value)) == ("too-large", (
        f"poster.png: too large to read: {said} is more than 50 megapixels; save it at a "
        f"lower resolution"))


# Pillow warns before it allocates an image this large: an error here shows that a frame
# refused was never decoded
@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_a_later_tiff_frame_over_the_pixel_bound_is_refused_before_it_is_decoded() -> None:
    from PIL import Image

    buf = io.BytesIO()
    huge = Image.new("1", (13000, 13000), 1)  # a blank fax page: a few KB packed
    note_page().convert("1").save(buf, "TIFF", save_all=True, append_images=[huge],
                                  compression="group4", dpi=(150, 150))
    doc = load_bytes(Path("fax.tif"), buf.getvalue())
    assert [p.number for p in doc.pages] == [1] and "Glenridding" in doc.pages[0].text
    assert doc.warnings == ("page 2 not OCR'd: 13000x13000 pixels is over the 50 megapixel "
                            "limit",)


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_a_later_mpo_frame_over_the_pixel_bound_is_refused_before_it_is_decoded() -> None:
    """A camera's MPO JPEG: frames of their own sizes, Pillow's warning on seeking one."""
    from PIL import Image

    buf = io.BytesIO()
    note_page().save(buf, "MPO", save_all=True,
                     append_images=[Image.new("L", (10000, 9000), 255)])
    doc = load_bytes(Path("photo.jpg"), buf.getvalue())
    assert [p.number for p in doc.pages] == [1] and "Glenridding" in doc.pages[0].text
    assert doc.warnings == ("page 2 not OCR'd: 90,000,000 pixels is over the 50 megapixel "
                            "limit",)


def test_a_tiff_whose_second_page_directory_is_damaged_keeps_its_first_page() -> None:
    buf = io.BytesIO()
    note_page().save(buf, "TIFF", dpi=(150, 150))
    data = bytearray(buf.getvalue())
    first = struct.unpack("<I", data[4:8])[0]
    pointer = first + 2 + 12 * struct.unpack("<H", data[first:first + 2])[0]
    data[pointer:pointer + 4] = struct.pack("<I", len(data))  # the next page's directory:
    data += struct.pack("<HHHII", 1, 259, 3, 1, 1) + struct.pack("<I", 0)  # no width, no height
    doc = load_bytes(Path("fax.tif"), bytes(data))
    assert [p.number for p in doc.pages] == [1] and "Glenridding" in doc.pages[0].text
    assert doc.warnings == ("page 2 not OCR'd: cannot decode the image (Missing dimensions); "
                            "the pages after it, if any, cannot be found",)


def retagged(tiff: bytes, tag: int, value: int, pages: Container[int]) -> bytes:
    """A little-endian TIFF whose `pages` (1-based) say `value` for `tag`, a number held in
    the tag's entry (compression: 259, bits per sample of a grey page: 258)."""
    data = bytearray(tiff)
    offset, page = struct.unpack("<I", data[4:8])[0], 1
    while offset:
        entries = struct.unpack("<H", data[offset:offset + 2])[0]
        for start in range(offset + 2, offset + 2 + 12 * entries, 12):
            if page in pages and struct.unpack("<H", data[start:start + 2])[0] == tag:
                data[start + 8:start + 10] = struct.pack("<H", value)
        offset = struct.unpack("<I", data[offset + 2 + 12 * entries:][:4])[0]
        page += 1
    return bytes(data)


def undecodable_after_first(tiff: bytes) -> bytes:
    """A TIFF whose pages after its first say their data is JPEG's, which it is not: each
    is found, and fails to decode."""
    return retagged(tiff, 259, 7, range(2, 1_000))


def three_page_tiff() -> bytes:
    buf = io.BytesIO()
    first, third = page_images([NOTE, "Ferries leave Pooley Bridge at noon."])
    first.save(buf, "TIFF", save_all=True, dpi=(150, 150), append_images=[first, third])
    return buf.getvalue()


@pytest.mark.parametrize(("tag", "value", "said"), [
    (259, 60000, "unknown compression or pixel format 60000"),  # a compression Pillow lacks
    (258, 7, "unknown pixel mode"),  # 7 bits a grey sample
])
def test_a_tiff_page_in_a_coding_pillow_does_not_know_is_left_out_and_the_next_read(
        tag: int, value: int, said: str) -> None:
    doc = load_bytes(Path("fax.tif"), retagged(three_page_tiff(), tag, value, {2}))
    assert [p.number for p in doc.pages] == [1, 3] and "Pooley" in doc.pages[1].text
    assert doc.warnings == (f"page 2 not OCR'd: cannot decode the image ({said})",)


def test_a_tiff_whose_first_page_is_in_a_compression_pillow_does_not_know_is_refused() -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("fax.tif"), retagged(three_page_tiff(), 259, 60000, {1}))
    assert (info.value.reason, str(info.value)) == ("corrupt", (
        "fax.tif: not an image any reader knows (damaged, or not the format its name says)"))


def test_past_ten_pages_not_ocrd_the_rest_are_counted_in_one_warning() -> None:
    from PIL import Image

    buf = io.BytesIO()
    note_page().save(buf, "TIFF", save_all=True, dpi=(150, 150),
                     append_images=[Image.new("L", (50, 50), 255)] * 13)
    doc = load_bytes(Path("fax.tif"), undecodable_after_first(buf.getvalue()))
    assert [p.number for p in doc.pages] == [1] and "Glenridding" in doc.pages[0].text
    assert [warning.split(":")[0] for warning in doc.warnings[:10]] == [
        f"page {number} not OCR'd" for number in range(2, 12)]
    assert doc.warnings[10:] == ("3 more pages, 12 to 14, not OCR'd",)


# --- pages scanned sideways or upside down ------------------------------------------------

def turned_scan(kind: str, degrees: int) -> bytes:
    """TEXT scanned at 150 dpi turned `degrees` counter-clockwise (at 90 its lines run up the
    page): as a PNG, as a PDF of that image, or as an upright scan in a PDF whose page
    /Rotate turns it so when drawn."""
    from pypdf import PdfReader, PdfWriter

    [upright] = page_images(["\n".join(TEXT)], 150)
    if kind == "PDF /Rotate":
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(scanned_pdf(["\n".join(TEXT)]))))
        writer.pages[0].rotate(360 - degrees)  # /Rotate turns clockwise
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()
    buf = io.BytesIO()
    upright.rotate(degrees, expand=True).save(buf, kind, resolution=150, dpi=(150, 150))
    return buf.getvalue()


TURNS = [("PNG", 90), ("PNG", 180), ("PDF", 90), ("PDF", 180), ("PDF /Rotate", 90)]


@pytest.mark.parametrize(("kind", "degrees"), TURNS)
def test_a_page_scanned_turned_is_read_upright_and_highlighted_where_shown(
        kind: str, degrees: int) -> None:
    from rag.engine.pages import render_image, render_page

    name = "turned.png" if kind == "PNG" else "turned.pdf"
    data = turned_scan(kind, degrees)
    doc = load_bytes(Path(name), data)
    assert recovered("\n".join(TEXT), doc.pages[0].text) >= 0.95
    # the viewer shows the page turned, as the file has it, with the words of the passage
    # lit where they are shown: across the line's baseline, along the way the line runs
    render = render_image if kind == "PNG" else render_page
    page = render(data, 1, TEXT[3], options=LoadOptions())
    assert page.highlighted
    pixels_a_point = max(page.width, page.height) / 842  # the page is A4, drawn turned
    baseline = (42 + 12 * 3) * pixels_a_point  # from the upright page's top
    lefts, tops, rights, bottoms = zip(*page.boxes, strict=True)
    wide, high = max(rights) - min(lefts), max(bottoms) - min(tops)
    if degrees == 90:  # the page's top is on the left; its lines run upwards
        assert high > 4 * wide
        assert all(left < baseline < right + 6 for left, _, right, _ in page.boxes)
    else:  # upside down: the page's top is at the bottom
        assert wide > 4 * high
        assert all(top - 6 < page.height - baseline < bottom for _, top, _, bottom in page.boxes)


def test_only_a_poorly_read_page_is_checked_for_its_orientation(monkeypatch) -> None:
    """Tesseract's orientation detection, and a second reading, only for a page whose first
    reading is poor: an upright page costs one run."""
    import pytesseract

    runs: Counter[str] = Counter()

    def counting(name: str):
        real = getattr(pytesseract, name)

        def run(*args, **kwargs):
            runs[name] += 1
            return real(*args, **kwargs)
        return run

    for name in ("image_to_data", "image_to_osd"):
        monkeypatch.setattr(pytesseract, name, counting(name))
    load_bytes(Path("upright.pdf"), scanned_pdf(["\n".join(TEXT), "\n".join(TEXT[::-1])]))
    assert runs == {"image_to_data": 2}
    runs.clear()
    load_bytes(Path("turned.png"), turned_scan("PNG", 180))
    assert runs == {"image_to_data": 2, "image_to_osd": 1}


def test_turned_scans_are_found_by_search(service, tmp_path: Path) -> None:
    folder = tmp_path / "turned"
    folder.mkdir()
    (folder / "sideways.png").write_bytes(turned_scan("PNG", 90))
    (folder / "upside-down.pdf").write_bytes(turned_scan("PDF", 180))
    report = service.ingest([folder])
    assert report.ok and report.totals()["ingested"] == 2
    hits = service.search("when does the warning lamp show", top_k=2)
    assert {Path(hit.source).name for hit in hits} == {"sideways.png", "upside-down.pdf"}
    assert all("reservoir level falls" in hit.text for hit in hits)


# --- Tesseract missing --------------------------------------------------------------------

@pytest.fixture
def no_tesseract(monkeypatch, tmp_path: Path) -> None:
    """A PATH without tesseract, for this process and the parse worker it spawns."""
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))


def test_without_tesseract_a_scan_fails_naming_the_package(no_tesseract) -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("scan.pdf"), scanned_pdf([PAGE_ONE]))
    assert info.value.reason == "ocr-unavailable"
    assert "no text layer on its 1 scanned page, and" in str(info.value)
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in str(info.value)
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("note.png"), scanned_image(PAGE_ONE))
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in str(info.value)
    # a mixed PDF keeps its text pages, and says which pages were not read
    doc = load_bytes(Path("mixed.pdf"), mixed_pdf())
    assert [p.text.strip() != "" for p in doc.pages] == [True, False]
    assert doc.warnings == ("page 2 not OCR'd: Tesseract is not installed (install "
                            "Tesseract: apt-get install tesseract-ocr tesseract-ocr-eng)",)


def test_without_tesseract_one_image_read_says_what_to_install(no_tesseract) -> None:
    """The page viewer reads one image with no check of its own beforehand."""
    from PIL import Image

    image = Image.open(io.BytesIO(scanned_image(PAGE_ONE)))
    with pytest.raises(ocr.OcrUnavailable, match="apt-get install tesseract-ocr tesseract-ocr-eng"):
        ocr.read_image(image, LoadOptions())


def test_without_tesseract_the_rest_of_the_batch_goes_on(no_tesseract, service,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "post"
    folder.mkdir()
    (folder / "a-scan.pdf").write_bytes(scanned_pdf([PAGE_ONE]))
    (folder / "b-letter.txt").write_text("The parcel arrives on Tuesday morning.")
    (folder / "c-mixed.pdf").write_bytes(mixed_pdf())  # parsed in the spawned worker
    report = service.ingest([folder])
    outcome = {Path(f.path).name: f for f in report.files}
    assert outcome["a-scan.pdf"].status == "failed"
    assert "tesseract-ocr-eng" in outcome["a-scan.pdf"].error
    assert outcome["b-letter.txt"].status == "ingested"
    assert outcome["c-mixed.pdf"].status == "ingested"
    assert outcome["c-mixed.pdf"].warnings[0].startswith("page 2 not OCR'd: Tesseract is not")


def test_a_missing_language_names_its_package(settings, embedder) -> None:
    svc = build_service(settings.model_copy(update={"ocr_languages": "eng+kat"}),
                        embedder=embedder)
    try:
        result = svc.ingest_bytes("scan.pdf", scanned_pdf([PAGE_ONE]), "upload:scan.pdf")
    finally:
        svc.close()
    assert result.status == "failed" and "apt-get install tesseract-ocr-kat" in result.error


# --- citations and the page viewer --------------------------------------------------------

@pytest.fixture
def engine(tmp_path: Path, model_dir: Path, embedder):
    engine = Engine.open(fresh_settings(tmp_path, model_dir), embedder=embedder)
    yield engine
    engine.close()


@pytest.fixture
def workspace(engine: Engine) -> Workspace:
    return engine.workspace


class Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.size, self._data = name, len(data), data

    def getvalue(self) -> bytes:
        return self._data


def test_a_scan_is_cited_by_page_and_the_passage_highlighted_on_it(workspace, tmp_path: Path
                                                                   ) -> None:
    folder = tmp_path / "binder"
    folder.mkdir()
    (folder / "a-cover.txt").write_text("Press maintenance binder, second edition.")
    path = folder / "b-manual-scan.pdf"  # the second file: OCR'd in the parse worker process
    path.write_bytes(scanned_pdf([PAGE_ONE, "\n".join([PAGE_TWO, *TEXT])]))
    report = workspace.service.ingest([folder])
    assert report.ok and report.totals()["ingested"] == 2
    [hit] = workspace.service.search("when does the warning lamp show", top_k=1)
    assert hit.page == 2 and "reservoir" in hit.text
    page, reason = workspace.source_page(hit.doc_id, hit.source, hit.page, TEXT[5])
    assert reason is None and page.highlighted and page.page == 2 and page.pages == 2
    # the passage is the last of 36 lines: the first baseline is 42 pt from the top and each
    # line 12 pt below the last; the page is drawn at 1.5 px per point
    baseline = (42 + 12 * 35) * 1.5
    assert all(box[1] < baseline < box[3] + 6 for box in page.boxes)
    assert all(box[2] <= page.width for box in page.boxes)


def test_an_uploaded_image_is_kept_and_drawn_with_the_passage(engine, workspace) -> None:
    job = engine.submit_uploads("docs", [Upload("whiteboard.png",
                                                scanned_image("\n".join(TEXT)))], user="u")
    [result] = engine.jobs.wait(job.id, timeout=300).report["files"]
    assert result["status"] == "ingested"
    doc_id = result["doc_id"]
    page, reason = workspace.source_page(doc_id, "upload:whiteboard.png", 1, TEXT[4])
    assert reason is None and page.highlighted
    workspace.delete_document(None, doc_id)
    gone, reason = workspace.source_page(doc_id, "upload:whiteboard.png", 1, TEXT[4])
    assert gone is None and "not kept" in reason
