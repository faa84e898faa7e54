"""Text and word boxes from page images, with Tesseract through pytesseract, on every core.

Tesseract runs as one subprocess per page. The pages of a document, and of every document this
process reads at once, go to one shared pool of threads, each waiting on one tesseract working
on one page: every core is busy while this process's GIL stays free (the app's chat goes on).
Each tesseract is held to one thread (OMP_THREAD_LIMIT=1, unless already set) since the pool
already gives each page a core, and runs at a lower priority (nice) so that a question asked
meanwhile comes first. Images go to Tesseract as uncompressed PGM files: nothing to compress.

A page scanned sideways or upside down reads as garbage of low confidence. Only such a page
(`POOR_CONFIDENCE`) is shown to Tesseract's orientation detection (OSD), and read again turned
as it says; the better reading is kept, its word boxes put back on the page as given. A page
read well costs one Tesseract run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.formats.base import MAX_IMAGE_PIXELS, LoadOptions
from rag.cancel import check_cancelled

if TYPE_CHECKING:
    from PIL.Image import Image

PAGE_TIMEOUT_SECONDS = 300  # one page; Tesseract takes seconds, a pathological image longer
NICENESS = 10
# Tesseract's mean word confidence (0 to 100) under which a page's text may be turned: a clean
# upright page reads far above it, a turned one far below
POOR_CONFIDENCE = 60
# under this mean word confidence a page's reading is said to be poor: a sharp scan reads well
# above it, and a blurred one that misreads a word in five already falls below it
POOR_READING = 80
# a reading of fewer words says too little of the page to judge it by
POOR_READING_MIN_WORDS = 5
# OSD's own minimum (50 characters) leaves a page of a line or two unturned; a wrong answer
# costs one more reading, never the page, since the better reading is kept
OSD_MIN_CHARACTERS = 10


class OcrUnavailable(Exception):
    """Tesseract, or the language data asked for, is not installed; says what to install."""


class OcrFailed(Exception):
    """Tesseract ran but could not read this page."""


@dataclass(frozen=True)
class Word:
    """One recognised word: where it is in the page's text and on the image (pixels)."""

    start: int
    end: int
    box: tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class OcrPage:
    """A page's recognised text (lines and paragraphs as Tesseract found them), its words."""

    text: str
    words: list[Word]
    confidence: float = 100.0  # Tesseract's mean confidence in the words, 0 to 100

    @property
    def poor(self) -> bool:
        return len(self.words) >= POOR_READING_MIN_WORDS and self.confidence < POOR_READING


def poor_reading_note(confidences: dict[int, float]) -> str | None:
    """What to tell of the pages (by number) read with little confidence, or None."""
    if not confidences:
        return None
    numbers = sorted(confidences)
    shown = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
    pages = f"page {shown} was" if len(numbers) == 1 else f"pages {shown} were"
    return (f"{pages} read poorly by OCR (Tesseract's confidence in the words "
            f"{min(confidences.values()):.0f}% at worst, under {POOR_READING}%): some words "
            f"may be wrong; a sharper scan (300 dpi) reads better")


def debian_package(language: str) -> str:
    return "tesseract-ocr-" + language.lower().replace("_", "-")


def install_hint(languages: str) -> str:
    packages = " ".join(["tesseract-ocr", *(debian_package(lang) for lang in
                                            languages.split("+"))])
    return f"install Tesseract: apt-get install {packages}"


def missing(languages: str) -> str | None:
    """None when Tesseract and the languages are installed, else what to install."""
    import pytesseract

    command = pytesseract.pytesseract.tesseract_cmd
    return _missing(shutil.which(command) or command, languages)  # checked once per binary


@lru_cache(maxsize=16)
def _missing(command: str, languages: str) -> str | None:
    import pytesseract

    try:
        installed = set(pytesseract.get_languages())
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        return f"Tesseract is not installed ({install_hint(languages)})"
    absent = [lang for lang in languages.split("+") if lang not in installed]
    if absent:
        packages = " ".join(debian_package(lang) for lang in absent)
        return (f"Tesseract has no language data for {', '.join(absent)} "
                f"(apt-get install {packages}; RAG_OCR_LANGUAGES names the languages)")
    return None


def read_image(image: Image, options: LoadOptions, dpi: int | None = None) -> OcrPage:
    """The text of one image, read upright. Raises OcrUnavailable or OcrFailed.

    A poor reading whose text OSD finds turned is read again turned upright, and the better
    of the two kept; the word boxes are on `image` as given either way. Whether Tesseract and
    its languages are installed is the caller's check (`missing`), made once per document
    rather than once per page."""
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise OcrFailed(f"{image.width}x{image.height} pixels is over the "
                        f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")
    config = f"--dpi {dpi}" if dpi else ""
    grey = image.convert("L")
    with tempfile.TemporaryDirectory(prefix="rag-ocr-") as folder:
        path = Path(folder) / "page.pgm"
        grey.save(path)
        data = _data(path, options, config)
        turn = _turn(path, config) if _poor(data) else 0
        if turn:
            grey.rotate(-turn, expand=True).save(path)  # PIL turns counter-clockwise
            try:
                upright = _data(path, options, config)
            except OcrFailed:  # the page as given was read: that reading stands
                return _page(data)
            if _confident_characters(upright) > _confident_characters(data):
                return _turned_back(_page(upright), grey.size, turn)
    return _page(data)


def _data(path: Path, options: LoadOptions, config: str) -> dict[str, list]:
    """Tesseract's words of the image at `path`, with their boxes and confidences."""
    import pytesseract

    try:
        return pytesseract.image_to_data(
            str(path), lang=options.ocr_languages, config=config, nice=NICENESS,
            timeout=PAGE_TIMEOUT_SECONDS, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailable(f"Tesseract is not installed "
                             f"({install_hint(options.ocr_languages)})") from exc
    except pytesseract.TesseractError as exc:
        raise OcrFailed(f"Tesseract failed: {exc.message.strip() or exc.status}") from exc
    except RuntimeError as exc:  # pytesseract's timeout
        raise OcrFailed(f"Tesseract took over {PAGE_TIMEOUT_SECONDS} s") from exc


def _confidences(data: dict[str, list]) -> list[tuple[str, float]]:
    """Each recognised word and Tesseract's confidence in it (0 to 100)."""
    return [(text.strip(), float(conf))
            for text, conf in zip(data["text"], data["conf"], strict=True) if text.strip()]


def _poor(data: dict[str, list]) -> bool:
    """Whether a reading has words but little confidence in them, as a turned page's has."""
    words = _confidences(data)
    return bool(words) and sum(conf for _, conf in words) / len(words) < POOR_CONFIDENCE


def _confident_characters(data: dict[str, list]) -> float:
    """A reading's characters weighed by Tesseract's confidence in their words: the better
    reading of a page has more of them (a few sure words do not beat a page of likely ones)."""
    return sum(len(text) * conf for text, conf in _confidences(data))


def _turn(path: Path, config: str) -> int:
    """The degrees, clockwise, that OSD turns the page at `path` by to set its text upright;
    0 when it cannot tell (too few letters, no osd data installed, or it fails)."""
    import pytesseract

    try:
        found = pytesseract.image_to_osd(
            str(path), config=f"{config} -c min_characters_to_try={OSD_MIN_CHARACTERS}",
            nice=NICENESS, timeout=PAGE_TIMEOUT_SECONDS, output_type=pytesseract.Output.DICT)
    except (pytesseract.TesseractError, RuntimeError):  # the page as given is read all the same
        return 0
    return int(found.get("rotate", 0)) % 360


def _turned_back(page: OcrPage, size: tuple[int, int], turn: int) -> OcrPage:
    """A page read turned `turn` degrees clockwise, its word boxes put back where they lie on
    the page as given (`size` wide and high)."""
    return replace(page, words=[replace(word, box=_box_turned_back(word.box, size, turn))
                                for word in page.words])


def _box_turned_back(box: tuple[int, int, int, int], size: tuple[int, int],
                     turn: int) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    width, height = size
    if turn == 90:
        return top, height - right, bottom, height - left
    if turn == 180:
        return width - right, height - bottom, width - left, height - top
    if turn == 270:
        return width - bottom, left, width - top, right
    return box


def _page(data: dict[str, list]) -> OcrPage:
    """Words joined by spaces, lines by newlines, paragraphs by blank lines."""
    parts: list[str] = []
    words: list[Word] = []
    offset, line, paragraph = 0, None, None
    for i, text in enumerate(data["text"]):
        text = text.strip()
        if not text:
            continue
        here = (data["block_num"][i], data["par_num"][i])
        if words:
            gap = " " if (*here, data["line_num"][i]) == line else (
                "\n" if here == paragraph else "\n\n")
            parts.append(gap)
            offset += len(gap)
        line, paragraph = (*here, data["line_num"][i]), here
        left, top = int(data["left"][i]), int(data["top"][i])
        box = (left, top, left + int(data["width"][i]), top + int(data["height"][i]))
        words.append(Word(offset, offset + len(text), box))
        parts.append(text)
        offset += len(text)
    confidences = [conf for _, conf in _confidences(data)]
    return OcrPage("".join(parts), words,
                   sum(confidences) / len(confidences) if confidences else 100.0)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def pool(workers: int) -> ThreadPoolExecutor:
    """The process's OCR threads: every document's pages share them."""
    with _pools_lock:
        if workers not in _pools:
            os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # the pool gives each page a core
            _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="rag-ocr")
        return _pools[workers]


def read_pages(render: Callable[[int], tuple[Image, int | None]], pages: list[int],
               options: LoadOptions) -> Iterator[tuple[int, OcrPage | Exception]]:
    """OCR `pages` (`render(page)` draws one, with its dpi) across the pool, in order.

    A page is drawn only when a thread takes it, so at most one image per thread is held.
    Each page's outcome comes back: its text, or the exception that stopped it.
    """
    threads = pool(options.workers)
    futures: list[tuple[int, Future[OcrPage]]] = [
        (page, threads.submit(_render_and_read, render, page, options)) for page in pages]
    try:
        for page, future in futures:
            check_cancelled()
            error = future.exception()
            yield page, error if error is not None else future.result()
    finally:  # the reader stopped early: pages not started are not OCR'd
        for _, future in futures:
            future.cancel()


def _render_and_read(render: Callable[[int], tuple[Image, int | None]], page: int,
                     options: LoadOptions) -> OcrPage:
    image, dpi = render(page)
    return read_image(image, options, dpi)
