"""Images (.png, .jpg, .tiff): read by OCR; each frame of a multi-page TIFF is a page.

An image whose resolution is known and lower than RAG_OCR_DPI is scaled up to it first:
Tesseract reads small type at 300 dpi far better than at the 150 dpi of a quick scan.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.formats import ocr
from ingest.formats.base import (
    MAX_IMAGE_PIXELS,
    MAX_PAGES,
    LoadOptions,
    Pages,
    Parsed,
    capped_warnings,
    more_pages,
    too_large,
)
from rag.errors import DocumentError

if TYPE_CHECKING:
    from PIL.Image import Image


# Pillow's own bound, which refuses a header before we see its size, says how many pixels
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")
# what Pillow raises for a frame it found but has no decoder for: a TIFF's compression
# (KeyError, naming only the number) or its pixel layout (SyntaxError) is none it knows
UNSUPPORTED = (KeyError, SyntaxError)
# what Pillow raises for a damaged frame or page directory (a TIFF's without a width: TypeError)
DAMAGED = (OSError, ValueError, EOFError, TypeError, *UNSUPPORTED)
MEGAPIXELS = MAX_IMAGE_PIXELS // 1_000_000
SMALLER = "save it at a lower resolution"  # splitting an image into files would not help


def open_image(path: Path, data: bytes) -> Image:
    """The image, its header read and its size checked before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise too_large(path, f"{pillow_pixels(exc)} is more than {MEGAPIXELS} megapixels",
                        hint=SMALLER) from exc
    except UnidentifiedImageError as exc:  # its message names an in-memory buffer
        raise DocumentError("corrupt", f"{path}: not an image any reader knows (damaged, or "
                                       "not the format its name says)") from exc
    except DAMAGED as exc:
        raise DocumentError("corrupt", f"{path}: cannot read the image ({exc})") from exc
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise too_large(path, f"{image.width}x{image.height} pixels is more than "
                              f"{MEGAPIXELS} megapixels", hint=SMALLER)
    return image


def pillow_pixels(exc: Exception) -> str:
    """The pixels an image's header declares, as Pillow's refusal of it says
    ("400,000,000 pixels")."""
    found = _PILLOW_PIXELS.search(str(exc))
    return f"{int(found[1]):,} pixels" if found else "too many pixels"


def frame(image: Image, number: int) -> Image:
    """Frame `number` (1-based) decoded, turned upright as its EXIF orientation says, and
    shown on white where it is transparent (`on_white`). Raises OcrFailed, before decoding,
    for a frame whose header says it is over MAX_IMAGE_PIXELS."""
    from PIL import ImageOps

    seek(image, number)
    if not has_transparency(image):
        return ImageOps.exif_transpose(image.convert("RGB"))
    return on_white(ImageOps.exif_transpose(image.convert("RGBA")))


def seek(image: Image, number: int) -> None:
    """Go to frame `number` (1-based), reading only its header, and check its size: each
    frame of a TIFF or an MPO JPEG has a size of its own, which `open_image` never saw."""
    from PIL import Image as PIL

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PIL.DecompressionBombWarning)
            image.seek(number - 1)
    except (PIL.DecompressionBombWarning, PIL.DecompressionBombError) as exc:
        raise ocr.OcrFailed(f"{pillow_pixels(exc)} is over the {MEGAPIXELS} megapixel "
                            f"limit") from exc
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise ocr.OcrFailed(f"{image.width}x{image.height} pixels is over the "
                            f"{MEGAPIXELS} megapixel limit")


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


def frames(image: Image) -> tuple[int, Exception | None]:
    """How many frames the image has, and, when a frame's directory cannot be read (a
    damaged TIFF), why: the frames before it are counted, and none from it on."""
    try:
        return getattr(image, "n_frames", 1), None
    except DAMAGED:
        return frames_to_damage(image)


def frames_to_damage(image: Image) -> tuple[int, Exception | None]:
    """The frames up to the first whose directory is damaged (at most one over MAX_PAGES),
    and its damage. A frame in a coding Pillow does not know is counted, to be reported when
    it fails to decode: its directory was read, and leads to the frames after it. The image
    is left on its first frame."""
    image.seek(0)  # the failed walk left the image on the damaged frame, unread
    count, damage = 1, None
    while count <= MAX_PAGES:
        try:
            image.seek(count)
        except EOFError:  # past the last frame
            break
        except UNSUPPORTED:
            pass
        except DAMAGED as exc:
            damage = exc
            break
        count += 1
    image.seek(0)
    return count, damage


def unreadable_reason(exc: Exception) -> str:
    """Pillow's reason a frame cannot be read, in words: its KeyError names only the value
    it has no decoder for."""
    if isinstance(exc, KeyError):
        return f"unknown compression or pixel format {exc}"
    return str(exc)


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
    count, damage = frames(image)
    if count > MAX_PAGES:
        raise too_large(path, f"{count:,} frames is more than {MAX_PAGES:,}")
    decoding = threading.Lock()  # one PIL image: one frame decoded at a time

    def render(number: int) -> tuple[Image, int | None]:
        from PIL import Image as PIL

        with decoding:
            try:
                page, dpi = frame(image, number), dpi_of(image)
            except (*DAMAGED, PIL.DecompressionBombError) as exc:
                raise ocr.OcrFailed(f"cannot decode the image ({unreadable_reason(exc)})") from exc
        scaled, dpi, _ = for_ocr(page, dpi, options)
        return scaled, dpi

    pages, failed, poor = Pages(path), [], {}
    for number, outcome in ocr.read_pages(render, list(range(1, count + 1)), options):
        if isinstance(outcome, ocr.OcrPage):
            pages.add(number, outcome.text)
            if outcome.poor:
                poor[number] = outcome.confidence
        elif isinstance(outcome, (ocr.OcrFailed, ocr.OcrUnavailable)):
            if count == 1:
                raise DocumentError("corrupt", f"{path}: {outcome}")
            failed.append((number, outcome))
        else:
            raise outcome
    notes = capped_warnings(failed, lambda page: f"page {page[0]} not OCR'd: {page[1]}",
                            lambda rest: more_pages([number for number, _ in rest], "not OCR'd"))
    if note := ocr.poor_reading_note(poor):
        notes.append(note)
    if damage is not None:
        notes.append(f"page {count + 1} not OCR'd: cannot decode the image ({damage}); the "
                     f"pages after it, if any, cannot be found")
    return Parsed(path.stem, pages.pages, notes)
