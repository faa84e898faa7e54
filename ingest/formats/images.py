"""Images (.png, .jpg, .tiff): read by OCR; each frame of a multi-page TIFF is a page.

An image whose resolution is known and lower than RAG_OCR_DPI is scaled up to it first:
Tesseract reads small type at 300 dpi far better than at the 150 dpi of a quick scan.
"""

from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.formats import ocr
from ingest.formats.base import MAX_IMAGE_PIXELS, MAX_PAGES, LoadOptions, Pages, Parsed, too_large
from rag.errors import DocumentError

if TYPE_CHECKING:
    from PIL.Image import Image


def open_image(path: Path, data: bytes) -> Image:
    """The image, its header read and its size checked before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise too_large(path, f"an image of too many pixels ({exc})") from exc
    except UnidentifiedImageError as exc:  # its message names an in-memory buffer
        raise DocumentError("corrupt", f"{path}: not an image any reader knows (damaged, or "
                                       "not the format its name says)") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise DocumentError("corrupt", f"{path}: cannot read the image ({exc})") from exc
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise too_large(path, f"{image.width}x{image.height} pixels is more than "
                              f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels")
    return image


def frame(image: Image, number: int) -> Image:
    """Frame `number` (1-based) decoded, turned upright as its EXIF orientation says, and
    shown on white where it is transparent (`on_white`)."""
    from PIL import ImageOps

    image.seek(number - 1)
    if not has_transparency(image):
        return ImageOps.exif_transpose(image.convert("RGB"))
    return on_white(ImageOps.exif_transpose(image.convert("RGBA")))


def has_transparency(image: Image) -> bool:
    """Whether the image has an alpha channel, or names a transparent colour (a palette's
    entries, or one grey or RGB value, as PNG's tRNS chunk does)."""
    return bool({"A", "a"} & set(image.getbands())) or "transparency" in image.info


def on_white(image: Image) -> Image:
    """An RGBA image as a viewer shows it, on white: dropping its alpha instead would show
    each transparent pixel in its stored colour, often black, which hides dark text."""
    from PIL import Image as PIL

    shown = PIL.new("RGB", image.size, "white")
    shown.paste(image, mask=image)  # an RGBA mask is its alpha: each pixel blended by it
    return shown


def frames(image: Image) -> int:
    return getattr(image, "n_frames", 1)


def dpi_of(image: Image) -> int | None:
    dpi = image.info.get("dpi")
    try:
        return round(float(dpi[0])) if dpi and float(dpi[0]) >= 50 else None
    except (TypeError, ValueError, IndexError):
        return None


def for_ocr(image: Image, dpi: int | None, options: LoadOptions
            ) -> tuple[Image, int | None, float]:
    """The image as Tesseract gets it, its dpi, and how much it was scaled up."""
    from PIL import Image as PIL

    if not dpi or dpi >= options.ocr_dpi:
        return image, dpi, 1.0
    scale = min(options.ocr_dpi / dpi, (MAX_IMAGE_PIXELS / (image.width * image.height)) ** 0.5)
    if scale <= 1.0:
        return image, dpi, 1.0
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, PIL.Resampling.LANCZOS), round(dpi * scale), scale


def load_image(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    if options.ocr == "off":
        raise DocumentError("unsupported", f"{path}: an image is read by OCR, which is off "
                                           f"(RAG_OCR=off)")
    unavailable = ocr.missing(options.ocr_languages)
    if unavailable:
        raise DocumentError("ocr-unavailable", f"{path}: an image is read by OCR, and "
                                               f"{unavailable}")
    image = open_image(path, data)
    count = frames(image)
    if count > MAX_PAGES:
        raise too_large(path, f"{count:,} frames is more than {MAX_PAGES:,}")
    decoding = threading.Lock()  # one PIL image: one frame decoded at a time

    def render(number: int) -> tuple[Image, int | None]:
        from PIL import Image as PIL

        with decoding:
            try:
                page, dpi = frame(image, number), dpi_of(image)
            except (OSError, ValueError, EOFError, PIL.DecompressionBombError) as exc:
                raise ocr.OcrFailed(f"cannot decode the image ({exc})") from exc
        scaled, dpi, _ = for_ocr(page, dpi, options)
        return scaled, dpi

    pages, notes = Pages(path), []
    for number, outcome in ocr.read_pages(render, list(range(1, count + 1)), options):
        if isinstance(outcome, ocr.OcrPage):
            pages.add(number, outcome.text)
        elif isinstance(outcome, (ocr.OcrFailed, ocr.OcrUnavailable)):
            if count == 1:
                raise DocumentError("corrupt", f"{path}: {outcome}")
            notes.append(f"page {number} not OCR'd: {outcome}")
        else:
            raise outcome
    return Parsed(path.stem, pages.pages, notes)
