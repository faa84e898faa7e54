"""How far a PDF's streams inflate, measured before a reader opens the file.

pdfium inflates a stream whole when it reads it, and a few megabytes of a PDF can hold
gigabytes (a compression bomb: Flate packs a run of one byte about 1,000 to 1, and a second
filter after it multiplies again). Each stream is decoded here once through its filters, a
piece at a time, counted and dropped: the check holds a few pieces, and stops at the bound.

Streams are found by their keyword, not by parsing the file: a stream's data is never inside
another object, so every one follows a `stream` keyword in the file's own bytes, after its
dictionary (which names its filters). Data that only looks like the keyword fails to decode at
once and costs nothing. Whatever the dictionary says, data that starts as zlib's is inflated:
a file built to mislead this reading still has its Flate counted. An encrypted file's streams
are read through pypdf, which decrypts them; image codecs (JPEG, JBIG2, CCITT) are not decoded:
they are drawn, not read, and only for OCR, bounded by MAX_IMAGE_PIXELS.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ingest.formats.base import MIB, too_large

MAX_STREAM_BYTES = 256 * MIB  # one stream, after each of its filters
MAX_INFLATED_BYTES = 1024 * MIB  # all of a file's streams together

INPUT_PIECE = 64 * 1024
OUTPUT_PIECE = 1 * MIB

_STREAM_KEYWORD = re.compile(rb"stream[ \t]*(?:\r\n|\n|\r)")  # and not "endstream"
_OBJECT_NUMBERS = re.compile(rb"\d+\s+\d+\s*$")  # before "obj": "12 0 obj"
_DICTIONARY_WINDOW = 4096  # bytes looked back for a stream's `N G obj` (its dictionary)
# a dictionary's tokens that matter for its own /Filter: nesting, strings that may hold
# brackets, and the filter itself (a name, or an array of names)
_DICTIONARY_TOKEN = re.compile(
    rb"<<|>>|\((?:\\.|[^\\()])*\)|/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+)", re.DOTALL)
_NAME = re.compile(rb"/([^\s/\[\]<>()]+)")
_WHITESPACE = b" \t\r\n\f\x00"
_ASCII85_GROUPS = re.compile(rb"(?:z|[!-u]{5})*")

Pieces = Iterable[bytes]


class _Overflow(Exception):
    """A stream decoded past MAX_STREAM_BYTES."""


def check_inflation(path: Path, data: bytes) -> None:
    """Raise `too_large` when a stream of the PDF decodes to more than MAX_STREAM_BYTES, or
    all of them to more than MAX_INFLATED_BYTES, before either is reached in memory."""
    total = 0
    streams = _decrypted_streams(data) if b"/Encrypt" in data else _streams(data)
    for readings, raw in streams:
        try:
            total += max(decoded_size(raw, filters, MAX_STREAM_BYTES) for filters in readings)
        except _Overflow:
            raise too_large(path, f"a stream in it inflates to more than "
                                  f"{MAX_STREAM_BYTES // MIB:,} MiB (a compression bomb?)",
                            hint=None) from None
        if total > MAX_INFLATED_BYTES:
            raise too_large(path, f"its streams inflate to more than "
                                  f"{MAX_INFLATED_BYTES // MIB:,} MiB (a compression bomb?)",
                            hint=None)


def decoded_size(raw: bytes | memoryview, filters: Sequence[str], limit: int) -> int:
    """Bytes that `raw` decodes to through `filters` (up to the first one not modelled here);
    raises `_Overflow` when any filter's output passes `limit`. Nothing decoded: 0."""
    pieces: Pieces = _pieces(raw)
    decoded = False
    for name in filters:
        decoder = _DECODERS.get(name)
        if decoder is None:
            break
        pieces, decoded = _bounded(decoder(pieces), limit), True
    return sum(map(len, pieces)) if decoded else 0


def _pieces(raw: bytes | memoryview) -> Iterator[memoryview]:
    view = memoryview(raw)
    for start in range(0, len(view), INPUT_PIECE):
        yield view[start:start + INPUT_PIECE]


def _bounded(pieces: Pieces, limit: int) -> Iterator[bytes]:
    produced = 0
    for piece in pieces:
        produced += len(piece)
        if produced > limit:
            raise _Overflow
        yield piece


def _streams(data: bytes) -> Iterator[tuple[list[list[str]], memoryview]]:
    """Each stream's raw data, found by the keyword, and the filter chains to read it with:
    the one its dictionary declares, and Flate alone when the data opens as zlib's."""
    view = memoryview(data)
    for keyword in _STREAM_KEYWORD.finditer(data):
        if data[keyword.start() - 3:keyword.start()] == b"end":
            continue
        start = keyword.end()
        end = data.find(b"endstream", start)
        raw = view[start:end if end >= 0 else len(data)]
        yield _readings(_declared_filters(data, keyword.start()) or [], raw), raw


def _readings(declared: list[str], raw: bytes | memoryview) -> list[list[str]]:
    """The filter chains to read a stream with: the one declared, and Flate alone when the
    data opens as zlib's and the chain does not."""
    if declared[:1] != ["FlateDecode"] and _looks_like_zlib(memoryview(raw)):
        return [declared, ["FlateDecode"]]
    return [declared]


def _declared_filters(data: bytes, keyword_at: int) -> list[str] | None:
    """The filters in the dictionary before a `stream` keyword: [] when it names none, None
    when no dictionary is found or its /Filter is not a name or names (a reference)."""
    window_start = max(0, keyword_at - _DICTIONARY_WINDOW)
    dictionary_at = _object_start(data, window_start, keyword_at)
    if dictionary_at is None:
        return None
    depth, filters = 0, []
    for token in _DICTIONARY_TOKEN.finditer(data, dictionary_at, keyword_at):
        text = token.group()
        if text == b"<<":
            depth += 1
        elif text == b">>":
            depth -= 1
        elif token.group(1) is not None and depth == 1:
            filters = [name.decode("latin-1") for name in _NAME.findall(token.group(1))]
    if b"/Filter" in data[dictionary_at:keyword_at] and not filters:
        return None
    return filters


def _object_start(data: bytes, start: int, end: int) -> int | None:
    """Where the last object header ("12 0 obj") between `start` and `end` ends."""
    at = data.rfind(b"obj", start, end)
    while at >= 0:
        if _OBJECT_NUMBERS.search(data, max(start, at - 24), at):
            return at + 3
        at = data.rfind(b"obj", start, at)
    return None


def _looks_like_zlib(raw: memoryview) -> bool:
    """Whether data opens with a zlib header (deflate, and the header's check bits)."""
    return len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0


def _decrypted_streams(data: bytes) -> Iterator[tuple[list[list[str]], bytes]]:
    """Each stream's filters and data of an encrypted file, decrypted by pypdf (with the
    empty password, as pdfium opens it); nothing when pypdf cannot open it."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, IndirectObject, StreamObject

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return  # pdfium cannot open it either: refused as encrypted
        numbers = [(number, generation) for generation, entries in reader.xref.items()
                   for number in entries]
    except Exception:  # a damaged file: its readers report it
        return
    for number, generation in numbers:
        try:
            stream = reader.get_object(IndirectObject(number, generation, reader))
        except Exception:  # one damaged object: the readers skip it too
            continue
        if isinstance(stream, StreamObject):
            declared = stream.get("/Filter")
            declared = declared.get_object() if declared is not None else None
            names = declared if isinstance(declared, ArrayObject) else [declared or ""]
            # the encoded (decrypted) bytes: pypdf's public accessors decode them
            raw = stream._data
            yield _readings([str(name).lstrip("/") for name in names if name], raw), raw


def _flate(pieces: Pieces) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    try:
        for piece in pieces:
            yield inflater.decompress(piece, OUTPUT_PIECE)
            while inflater.unconsumed_tail and not inflater.eof:
                yield inflater.decompress(inflater.unconsumed_tail, OUTPUT_PIECE)
            if inflater.eof:
                return
    except zlib.error:  # damaged: what came out before it is what a reader gets
        return


def _run_length(pieces: Pieces) -> Iterator[bytes]:
    out, pending = bytearray(), b""
    for piece in pieces:
        data, at = pending + bytes(piece), 0
        while at < len(data):
            length = data[at]
            if length == 128:
                yield bytes(out)
                return
            if length < 128:  # the next length + 1 bytes as they are
                if at + length + 2 > len(data):
                    break
                out += data[at + 1:at + length + 2]
                at += length + 2
            else:  # the next byte, 257 - length times
                if at + 2 > len(data):
                    break
                out += data[at + 1:at + 2] * (257 - length)
                at += 2
            if len(out) >= OUTPUT_PIECE:
                yield bytes(out)
                out.clear()
        pending = data[at:]
    yield bytes(out)


def _lzw(pieces: Pieces) -> Iterator[bytes]:
    """PDF's LZW: codes of 9 to 12 bits, high bit first, 256 clears the table, 257 ends it,
    and a code grows a bit one entry early (EarlyChange 1, the default and the common case)."""
    table: list[bytes] = [bytes([n]) for n in range(256)] + [b"", b""]
    width, bits, held, previous = 9, 0, 0, b""
    out = bytearray()
    for piece in pieces:
        for byte in bytes(piece):
            bits, held = (bits << 8) | byte, held + 8
            while held >= width:
                held -= width
                code = bits >> held
                bits &= (1 << held) - 1
                if code == 256:
                    del table[258:]
                    width, previous = 9, b""
                    continue
                if code == 257:
                    yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                elif code == len(table) and previous:
                    entry = previous + previous[:1]
                else:  # damaged
                    yield bytes(out)
                    return
                if previous and len(table) < 4096:
                    table.append(previous + entry[:1])
                    if len(table) + 1 >= 1 << width and width < 12:
                        width += 1
                out += entry
                previous = entry
            if len(out) >= OUTPUT_PIECE:
                yield bytes(out)
                out.clear()
    yield bytes(out)


def _ascii_hex(pieces: Pieces) -> Iterator[bytes]:
    carry = b""
    for piece in pieces:
        text = bytes(piece)
        end = text.find(b">")
        digits = carry + text[:end if end >= 0 else len(text)].translate(None, _WHITESPACE)
        even = len(digits) & ~1
        try:
            yield binascii.unhexlify(digits[:even])
        except binascii.Error:
            return
        carry = digits[even:]
        if end >= 0:
            break
    if carry:
        yield binascii.unhexlify(carry + b"0")


def _ascii85(pieces: Pieces) -> Iterator[bytes]:
    carry = b""
    for piece in pieces:
        text = bytes(piece)
        end = text.find(b"~>")
        chars = carry + text[:end if end >= 0 else len(text)].translate(None, _WHITESPACE)
        whole = _ASCII85_GROUPS.match(chars).end()
        carry = chars[whole:]
        if len(carry) >= 5:  # a character A85 does not use
            return
        try:
            yield base64.a85decode(chars[:whole])
        except ValueError:  # a group over 2**32
            return
        if end >= 0:
            break
    if carry:
        try:
            yield base64.a85decode(carry)
        except ValueError:
            return


_DECODERS: dict[str, Callable[[Pieces], Iterator[bytes]]] = {
    "FlateDecode": _flate, "Fl": _flate,
    "LZWDecode": _lzw, "LZW": _lzw,
    "RunLengthDecode": _run_length, "RL": _run_length,
    "ASCIIHexDecode": _ascii_hex, "AHx": _ascii_hex,
    "ASCII85Decode": _ascii85, "A85": _ascii85,
}
