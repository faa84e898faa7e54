from pathlib import Path

import pytest

from ingest.formats.base import LoadOptions
from ingest.formats.pdf_text import joined_accents, joined_addresses, joined_identifiers
from ingest.loaders import load_bytes, load_file
from rag.errors import DocumentError
from rag.evaluation.pdfpages import pdf_of_pages
from tests.pdfgen import encrypt, make_pdf


def test_pdf_pages_and_title() -> None:
    data = make_pdf(["First page text.", "Second page text."], title="Field Guide")
    doc = load_bytes(Path("guide.pdf"), data)
    assert doc.title == "Field Guide"
    assert [p.number for p in doc.pages] == [1, 2]
    assert "Second page" in doc.pages[1].text
    assert doc.media_type == "application/pdf"


def test_pdf_text_comes_from_pdfium_tidied_and_pypdf_reads_what_pdfium_cannot(
        monkeypatch) -> None:
    import pypdfium2 as pdfium

    lines = ["The first line of the page.", "The second line, after a break."]
    data = make_pdf(["\n".join(lines)], title="Lines")
    fast = load_bytes(Path("lines.pdf"), data)
    assert "\r" not in fast.pages[0].text and "\x02" not in fast.pages[0].text
    assert [line.strip() for line in fast.pages[0].text.splitlines()] == lines

    def cannot_open(*args, **kwargs):
        raise pdfium.PdfiumError("Failed to load document (PDFium: Data format error).")

    monkeypatch.setattr(pdfium, "PdfDocument", cannot_open)
    fallback = load_bytes(Path("lines.pdf"), data)
    assert fallback.title == fast.title == "Lines"
    assert fallback.pages[0].text.split() == fast.pages[0].text.split()


def test_accents_drawn_before_their_letters_are_joined_to_them(monkeypatch) -> None:
    import pypdfium2 as pdfium

    # TeX's accents: a glyph of their own before the letter, as the manuals' names show
    data = pdf_of_pages(["Thanks to Jos\u00b4e, J\u00a8oreskog and Pe\u02dcna; it\u00b4s done."])
    for reader in ("pdfium", "pypdf"):
        text = load_bytes(Path("names.pdf"), data).pages[0].text
        assert "José, Jöreskog and Peña" in text, (reader, text)
        assert "it" in text and "\u0301t" not in text  # an apostrophe-like accent stays loose

        def cannot_open(*args, **kwargs):
            raise pdfium.PdfiumError("Failed to load document (PDFium: Data format error).")

        monkeypatch.setattr(pdfium, "PdfDocument", cannot_open)
    # WinAnsi cannot write the dotless i TeX accents ("Garc\u00b4\u0131a")
    assert joined_accents("Garc\u00b4\u0131a") == "García"


def test_a_web_address_the_layout_wrapped_is_made_whole() -> None:
    page = ("The mirrors are at https://CRAN.R-project.org/\nmirrors.html for every country.\n"
            "Snapshots live at https://stat.ethz.ch/R/daily/.\n2.5 What is next?")
    text = load_bytes(Path("faq.pdf"), make_pdf([page])).pages[0].text
    assert "https://CRAN.R-project.org/mirrors.html for every" in text
    assert "daily/.\n2.5 What" in text  # a section starts after an address ending a sentence


@pytest.mark.parametrize(("wrapped", "read"), [
    ("https://www.\ngnu.org/) and", "https://www.gnu.org/) and"),
    ("https://doi.org/10.1137/1.\n9781611971224, p", "https://doi.org/10.1137/1.9781611971224, p"),
    ("https://llvm.org/docs/AddressSanitizer.\nhtml", "https://llvm.org/docs/AddressSanitizer.html"),
    ("https://github.com/iains/\ngcc-darwin-arm64", "https://github.com/iains/gcc-darwin-arm64"),
    ("https://en.wikipedia.org/wiki/R#\nHistory", "https://en.wikipedia.org/wiki/R#History"),
    ("https://CRAN.R-project.org/\nand more", None),
    ("https://releases.llvm.org.\n14", None),
    ("(https://CRAN.R-project.org/package=xml2).\nyaml reads", None),
    ("https://www.gnu.org/licenses/.\nThe", None),
])
def test_an_address_at_a_line_end_takes_only_what_continues_it(wrapped: str,
                                                                read: str | None) -> None:
    assert joined_addresses(wrapped) == (read or wrapped)


def test_an_identifier_the_layout_wrapped_after_an_underscore_is_made_whole() -> None:
    page = ("Set (on some platforms) LD_RUN_PATH or LD_LIBRARY_\nPATH before R starts.\n"
            "_R_CHECK_LICENSE_\nControl whether license checks are performed.")
    text = load_bytes(Path("admin.pdf"), make_pdf([page])).pages[0].text
    assert "LD_RUN_PATH or LD_LIBRARY_PATH before R starts." in text
    assert "_R_CHECK_LICENSE_\nControl whether" in text  # a definition list's term


@pytest.mark.parametrize(("wrapped", "read"), [
    ("a call to R_\nPreserveObject adds", "a call to R_PreserveObject adds"),
    ("made using package_native_routine_\nregistration_skeleton in",
     "made using package_native_routine_registration_skeleton in"),
    ("compilers define _GNU_\nSOURCE unless", "compilers define _GNU_SOURCE unless"),
    ("_R_CHECK_BUILD_VIGNETTES_\nELAPSED_TIMEOUT_", "_R_CHECK_BUILD_VIGNETTES_ELAPSED_TIMEOUT_"),
    ("java_unsigned_\nconversion", "java_unsigned_conversion"),
    ("variable _R_CHECK_ALWAYS_LOG_VIGNETTE_OUTPUT_\nis set", None),
    ("_R_CHECK_BOGUS_RETURN_\nIf true, check", None),
    ("_R_CHECK_CRAN_INCOMING_\n_R_CHECK_XREFS_USE_ALIASES_FROM_CRAN_", None),
    ("NA_complex_ NA_character_\n... ..1", None),
    ("Sign here: ____\nDate", None),
])
def test_an_identifier_at_a_line_end_takes_only_what_continues_it(wrapped: str,
                                                                  read: str | None) -> None:
    assert joined_identifiers(wrapped) == (read or wrapped)


def test_a_pdf_over_the_character_bound_is_refused_before_any_page_is_ocrd(
        monkeypatch) -> None:
    from ingest.formats import ocr, pdf

    def no_ocr(*args, **kwargs):
        raise AssertionError("a page was sent to OCR")

    monkeypatch.setattr(pdf, "MAX_DOCUMENT_CHARS", 150)
    monkeypatch.setattr(ocr, "read_pages", no_ocr)
    data = make_pdf(["a" * 100, "b" * 100, "c" * 100])
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("long.pdf"), data, options=LoadOptions(ocr="force"))
    assert info.value.reason == "too-large" and "more than 150 characters" in str(info.value)
    assert load_bytes(Path("short.pdf"), make_pdf(["a" * 100])).pages[0].text


def test_pdf_with_empty_user_password_opens() -> None:
    doc = load_bytes(Path("a.pdf"), encrypt(make_pdf(["Open sesame."]), user_password=""))
    assert "Open sesame" in doc.pages[0].text


def test_pdf_with_password_is_reported_encrypted() -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("locked.pdf"), encrypt(make_pdf(["Secret."]), user_password="pw"))
    assert info.value.reason == "encrypted"
    assert "locked.pdf" in str(info.value)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"   \n\n ", "empty"),
        ("fake.pdf", b"this is plain text, not a PDF", "mislabelled"),
        ("truncated.pdf", b"%PDF-1.4\n1 0 obj <<", "corrupt"),
        ("binary.txt", b"\x7fELF\x00\x00\x01\x02" * 20, "binary"),
        ("image.png", b"\x89PNG\r\n", "corrupt"),
        ("archive.zip", b"PK\x03\x04 not read", "unsupported"),
    ],
)
def test_bad_files_have_reasons(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path(name), data)
    assert info.value.reason == reason
    assert name in str(info.value)
    assert " at 0x" not in str(info.value)  # no object of ours named in a user's message


def test_a_file_of_white_space_is_not_called_empty() -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("blank.md"), b"   \n\t\n ")
    assert str(info.value) == "blank.md: the file holds only white space: no text to index"


def test_pdf_without_text_is_empty_and_says_when_ocr_is_off() -> None:
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("blank.pdf"), make_pdf([""]))  # no text and no image: nothing to OCR
    assert info.value.reason == "empty"
    with pytest.raises(DocumentError) as info:
        load_bytes(Path("scan.pdf"), make_pdf([""]), options=LoadOptions(ocr="off"))
    assert info.value.reason == "empty" and "RAG_OCR=auto" in str(info.value)


def test_html_drops_scripts_and_keeps_title(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><head><title>Tides</title><script>var x=1;</script></head>"
                    "<body><h1>Tides</h1><p>The moon pulls the sea.</p></body></html>")
    doc = load_file(page)
    assert doc.title == "Tides"
    assert "moon pulls" in doc.pages[0].text
    assert "var x" not in doc.pages[0].text


def test_an_html_title_keeps_the_spaces_between_its_words(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><head><title> Blimp <b>guide</b>\n  \"x\" </title></head>"
                    "<body><p>Blimps float.</p></body></html>")
    assert load_file(page).title == 'Blimp guide "x"'


def test_html_text_is_laid_out_as_a_browser_shows_it(tmp_path: Path) -> None:
    page = tmp_path / "groups.html"
    page.write_text(
        "<html><body><div class='toc'><p><b>Table of Contents</b></p><dl>"
        "<dt><a href='#1'>1. Introduction</a></dt><dt><a href='#2'>2. Groups</a></dt></dl></div>"
        "<h1>Users\n  and Groups</h1><dl><dt>adm</dt><dd><p>Group adm is for monitoring.\n"
        "Members of it can read <code>/var/log</code>, and use <b>xconsole</b>.</p>"
        "<p>It is old.</p></dd><dt>What is sudo?</dt><dd>Root for a while.</dd></dl>"
        "<!-- a comment --><pre>x = 1\ny = 2</pre>"
        "<table><tr><th>Group</th><td>tape</td></tr></table></body></html>")
    text = load_file(page).pages[0].text
    assert text.split("\n\n") == [
        "Table of Contents", "1. Introduction", "2. Groups", "Users and Groups",
        "adm: Group adm is for monitoring. Members of it can read /var/log, and use xconsole.",
        "It is old.", "What is sudo? Root for a while.", "x = 1\ny = 2", "Group tape"]


def test_markdown_title_and_same_content_same_id(tmp_path: Path) -> None:
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("# Llamas\n\nLlamas hum.")
    b.write_text("# Llamas\n\nLlamas hum.")
    assert load_file(a).title == "Llamas"
    assert load_file(a).doc_id == load_file(b).doc_id
    b.write_text("# Llamas\n\nLlamas hum loudly.")
    assert load_file(a).doc_id != load_file(b).doc_id


def test_latin1_text_is_read(tmp_path: Path) -> None:
    f = tmp_path / "old.txt"
    f.write_bytes("Caf\xe9 au lait".encode("cp1252"))
    assert "Café" in load_file(f).pages[0].text
