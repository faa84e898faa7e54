"""Files at the edges of their formats, read through the loader `rag ingest` uses: images with
a transparent background, text files with Windows or classic Mac line ends, and a Markdown
note whose code holds a line that looks like a heading."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ingest.loaders import load_file

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageFont import FreeTypeFont, ImageFont

TEXT_ON_IMAGE = "Transparent label OKAPI five"
IMAGE_SIZE = (1600, 400)


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def large_font() -> FreeTypeFont | ImageFont:
    """Type large enough for Tesseract to read without scaling."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", 48)
    except OSError:
        return ImageFont.load_default(size=48)


def png_bytes(image: Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def dark_text_on_transparent_black(mode: str) -> Image:
    """Black text on fully transparent black pixels, as a logo or diagram is often exported:
    its transparent pixels' own colour is the text's."""
    from PIL import Image as PIL

    if mode == "P":  # palette entry 0 transparent black, entry 1 opaque black
        image = PIL.new("P", IMAGE_SIZE, 0)
        image.putpalette([0, 0, 0, 0, 0, 0])
        image.info["transparency"] = 0
        return with_text(image, ink=1)
    transparent_black, opaque_black = (0,) * len(mode), (0,) * (len(mode) - 1) + (255,)
    return with_text(PIL.new(mode, IMAGE_SIZE, transparent_black), ink=opaque_black)


def with_text(image: Image, ink: int | tuple[int, ...]) -> Image:
    from PIL import ImageDraw

    ImageDraw.Draw(image).text((40, 150), TEXT_ON_IMAGE, fill=ink, font=large_font())
    return image


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_dark_text_on_a_transparent_background_is_read(tesseract, tmp_path: Path,
                                                        mode: str) -> None:
    path = written(tmp_path / "label.png", png_bytes(dark_text_on_transparent_black(mode)))
    doc = load_file(path)
    assert "OKAPI" in words(doc.pages[0].text)


@pytest.mark.slow
def test_a_transparent_image_is_turned_upright_as_its_exif_says(tesseract,
                                                                 tmp_path: Path) -> None:
    # drawn lying on its side, and tagged "rotate 90° clockwise to view" (orientation 6)
    image = dark_text_on_transparent_black("RGBA").rotate(90, expand=True)
    exif = image.getexif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(300, 300), exif=exif)
    doc = load_file(written(tmp_path / "rotated.png", buf.getvalue()))
    assert "OKAPI" in words(doc.pages[0].text)


@pytest.mark.parametrize("line_end", [b"\r\n", b"\r"], ids=["windows", "classic-mac"])
def test_a_text_files_lines_end_in_newlines(tmp_path: Path, line_end: bytes) -> None:
    lines = [b"First line alpha.", b"Second line beta."]
    path = written(tmp_path / "note.txt", line_end.join(lines) + line_end)
    doc = load_file(path)
    assert doc.pages[0].text.strip() == "First line alpha.\nSecond line beta."


def test_a_windows_markdown_file_keeps_no_carriage_return(tmp_path: Path) -> None:
    markdown = b"---\r\nauthor: Ada\r\n---\r\n# Pump guide\r\n\r\nPrime the pump first.\r\n"
    doc = load_file(written(tmp_path / "pump.md", markdown))
    assert doc.title == "Pump guide"
    assert not any("\r" in page.text for page in doc.pages)
    assert "# Pump guide\n\nPrime the pump first." in doc.pages[0].text


def test_a_web_pages_preformatted_lines_end_in_newlines(tmp_path: Path) -> None:
    # classic Mac line ends: a browser reads a lone CR as a line end, as it reads CRLF
    html = b"<html><body><pre>make build\rmake install</pre></body></html>"
    doc = load_file(written(tmp_path / "build.html", html))
    assert "make build\nmake install" in doc.pages[0].text
    assert "\r" not in doc.pages[0].text


def test_a_classic_mac_csv_is_read_row_by_row(tmp_path: Path) -> None:
    # Excel's "CSV (Macintosh)": rows end in CR; a quoted cell holds commas and a line break
    csv = b'Name;Note\r"Widget";"red, blue\rgreen"\r"Gadget";"small, light"\r'
    doc = load_file(written(tmp_path / "parts.csv", csv))
    assert doc.pages[0].text == ("Name | Note\n\nName: Widget; Note: red, blue green\n\n"
                                 "Name: Gadget; Note: small, light")


SETUP_NOTE = (b"## Setup\n\nSetup notes for the server.\n\n"
              b"FENCE\n# install the dependencies first\napt-get install foo\nCLOSE\n\n"
              b"More text.\n")


@pytest.mark.parametrize("fence, close", [(b"```bash", b"```"), (b"~~~", b"~~~")])
def test_a_comment_in_fenced_code_does_not_title_the_note(tmp_path: Path, fence: bytes,
                                                           close: bytes) -> None:
    note = SETUP_NOTE.replace(b"FENCE", fence).replace(b"CLOSE", close)
    doc = load_file(written(tmp_path / "setup.md", note))
    assert doc.title == "setup"


def test_the_first_heading_after_fenced_code_titles_the_note(tmp_path: Path) -> None:
    note = (b"```python\n# the sample's settings\nDEBUG = True\n```\n\n"
            b"# Server settings\n\nThe server reads them at start.\n")
    doc = load_file(written(tmp_path / "settings.md", note))
    assert doc.title == "Server settings"
