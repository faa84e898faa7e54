"""Write small, valid PDFs with real text for tests (no PDF library needed to make them)."""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter

from rag.evaluation.pdfpages import pdf_file


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[str], title: str | None = None, invisible: bool = False) -> bytes:
    """A PDF with one page per string, each line drawn in Helvetica (or, `invisible`, laid
    out but not drawn: text render mode 3, as OCR tools add a text layer over a scan)."""
    mode = "3 Tr " if invisible else ""
    streams = []
    for text in pages:
        lines = "".join(f"({_escape(line)}) Tj T* " for line in text.splitlines())
        streams.append(_stream_object(f"BT {mode}/F1 10 Tf 12 TL 40 800 Td {lines}ET".encode()))
    data = _pages_pdf(streams)
    if title:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.add_metadata({"/Title": title})
        buf = io.BytesIO()
        writer.write(buf)
        data = buf.getvalue()
    return data


def placed_pdf(lines: Sequence[tuple[float, float, str] | tuple[float, float, str, str]
                              | tuple[float, float, str, str, float]]) -> bytes:
    """A one-page PDF drawing each text at its (x, y) in 10-point Helvetica, or in the font a
    fourth value names (HELVETICA_BOLD) at the size a fifth gives, in the order given (a text
    holding `^` draws what follows it small and raised: a footnote's mark)."""
    drawn = []
    for x, y, text, *font in lines:
        body, _, raised = text.partition("^")
        mark = f" /F1 6 Tf 4 Ts ({_escape(raised)}) Tj 0 Ts" if raised else ""
        face = font[0] if font else "F1"
        size = font[1] if len(font) > 1 else 10
        drawn.append(f"BT /{face} {size} Tf {x} {y} Td ({_escape(body)}) Tj{mark} ET\n")
    return _pages_pdf([_stream_object("".join(drawn).encode())])


# fonts a line of `sized_pdf` may be drawn in besides Helvetica: a standard bold face, and a
# bold and a roman face told apart by their stems alone, as TeX's are (CMBX12, CMR12: their
# names say nothing of weight)
HELVETICA_BOLD = "F4"
STEMS_BOLD = "F5"
STEMS_ROMAN = "F6"


def sized_pdf(lines: Sequence[tuple[float, str] | tuple[float, str, str]]) -> bytes:
    """A one-page PDF drawing each text at its size (points), a line each, from the top down,
    in Helvetica or in the font a third value names (HELVETICA_BOLD, STEMS_BOLD, STEMS_ROMAN)."""
    drawn, y = [], 800.0
    for size, text, *font in lines:
        drawn.append(f"BT /{font[0] if font else 'F1'} {size} Tf 40 {y} Td ({_escape(text)}) "
                     "Tj ET\n")
        y -= size * 1.4
    return _pages_pdf([_stream_object("".join(drawn).encode())])


def typed_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF drawing each line in 10-point Helvetica, and what stands between
    backticks (left out; a line may leave its last one open) in Courier, a typewriter font,
    a line each from the top down; a "⇒" or a "•" in the Symbol font, as TeX draws them in
    its own. A line opening with tabs (left out) is indented by 20 points for each, as a
    manual indents an example."""
    return typed_pages_pdf([lines])


def typed_pages_pdf(pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF with a page for each list of lines, each drawn as `typed_pdf` draws its lines."""
    return _pages_pdf([_typed_page(lines) for lines in pages])


def _typed_page(lines: Sequence[str]) -> bytes:
    drawn = []
    for n, line in enumerate(lines):
        indent = len(line) - len(line.lstrip("\t"))
        runs = "".join(_typed_run(text, font=1 + k % 2)
                       for k, text in enumerate(line.lstrip("\t").split("`")) if text)
        drawn.append(f"BT {40 + 20 * indent} {800 - 12 * n} Td {runs}ET\n")
    return _stream_object("".join(drawn).encode())


def _typed_run(text: str, font: int) -> str:
    """Drawing `text` in font /F`font`, each "⇒" and "•" in it in the Symbol font (/F3)."""
    drawn = f"/F{font} 10 Tf (" + _escape(text) + ") Tj "
    for symbol, code in _SYMBOL_CODES.items():
        drawn = drawn.replace(symbol, f") Tj /F3 10 Tf ({code}) Tj /F{font} 10 Tf (")
    return drawn


# their codes in the Symbol font's encoding
_SYMBOL_CODES = {"⇒": "\\336", "•": "\\267"}


def pictured_pdf(images: Sequence[tuple[float, float, float, float]], lines: Sequence[str] = (),
                 in_form: bool = False, top: float = 800) -> bytes:
    """A one-page PDF (595 x 842) drawing a small grey image at each (x, y, width, height),
    inside a form XObject drawn at twice its scale when `in_form` (so each is placed at half
    its size there), then `lines` of text down from `top`."""
    pixels = b"\x80" * 64
    image = (b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Length 64 >>\nstream\n" + pixels + b"\nendstream")
    factor = 0.5 if in_form else 1
    drawn = "".join(f"q {w * factor} 0 0 {h * factor} {x * factor} {y * factor} cm /Im1 Do Q\n"
                    for x, y, w, h in images)
    text = "".join(f"({_escape(line)}) Tj T* " for line in lines)
    page = f"BT /F1 10 Tf 12 TL 40 {top} Td {text}ET\n"
    if in_form:
        form = _stream_object(drawn.encode()).replace(
            b"<< ", b"<< /Type /XObject /Subtype /Form /BBox [0 0 298 421] "
                    b"/Resources << /XObject << /Im1 6 0 R >> >> ", 1)
        content, resources = "q 2 0 0 2 0 0 cm /Fm1 Do Q\n" + page, b"/Fm1 7 0 R"
    else:
        form, content, resources = None, drawn + page, b"/Im1 6 0 R"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
               b"/F1 3 0 R >> /XObject << " + resources + b" >> >> /Contents 5 0 R >>",
               _stream_object(content.encode()), image, *([form] if form else [])]
    return pdf_file(objects)


def stamped(data: bytes, lines: Sequence[tuple[float, float, str]]) -> bytes:
    """A PDF with `lines` drawn as text over every page (`placed_pdf`): a court's e-filing
    header, a Bates number or "Page 2 of 9" stamped on a scan."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    stamp = PdfReader(io.BytesIO(placed_pdf(lines))).pages[0]
    for page in writer.pages:
        page.merge_page(stamp)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def with_content_stream(encoded: bytes | Sequence[bytes], filters: str) -> bytes:
    """A PDF with a page for each of `encoded`: its content stream as given, declared packed
    by `filters` ("/FlateDecode", or a chain: "[/ASCIIHexDecode /FlateDecode]")."""
    streams = [encoded] if isinstance(encoded, bytes) else encoded
    return _pages_pdf([_stream_object(stream, filters) for stream in streams])


@functools.lru_cache(maxsize=2)
def pdf_bomb(inflated_mib: int) -> bytes:
    """A one-page PDF whose content stream, a line of text and then `inflated_mib` MiB of
    spaces, is packed by Flate about 1,000 to 1 (made a piece at a time)."""
    packer = zlib.compressobj(9)
    packed = [packer.compress(b"BT /F1 10 Tf 40 800 Td (A page over a bomb) Tj ET\n")]
    packed += [packer.compress(b" " * (1 << 20)) for _ in range(inflated_mib)]
    packed.append(packer.flush())
    return with_content_stream(b"".join(packed), "/FlateDecode")


def _stream_object(data: bytes, filters: str | None = None) -> bytes:
    declared = f" /Filter {filters}".encode() if filters else b""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), declared) + data + b"\nendstream"


_MORE_FONTS = ("/F2 << /Type /Font /Subtype /Type1 /BaseFont /Courier >> "
               "/F3 << /Type /Font /Subtype /Type1 /BaseFont /Symbol >> "
               "/F4 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >> "
               "/F5 << /Type /Font /Subtype /Type1 /BaseFont /CMBX12 /FontDescriptor << "
               "/Type /FontDescriptor /FontName /CMBX12 /Flags 32 /FontBBox [-53 -251 1139 750] "
               "/ItalicAngle 0 /Ascent 694 /Descent -194 /CapHeight 686 /StemV 109 >> >> "
               "/F6 << /Type /Font /Subtype /Type1 /BaseFont /CMR12 /FontDescriptor << "
               "/Type /FontDescriptor /FontName /CMR12 /Flags 32 /FontBBox [-34 -251 988 750] "
               "/ItalicAngle 0 /Ascent 694 /Descent -194 /CapHeight 683 /StemV 65 >> >>")


def _pages_pdf(streams: Sequence[bytes]) -> bytes:
    """A PDF with one page for each content stream object (dictionary and data), whose text
    is drawn in Helvetica (/F1), Courier (/F2), Symbol (/F3) or the faces `sized_pdf` names
    (/F4 to /F6)."""
    page_ids = [4 + 2 * n for n in range(len(streams))]
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {len(streams)} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for page_id, stream in zip(page_ids, streams, strict=True):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R {_MORE_FONTS} >> >> /Contents {page_id + 1} 0 R >>"
            .encode())
        objects.append(stream)
    return pdf_file(objects)


def filler(sentence: str, times: int = 40) -> str:
    """Lines of text long enough to fill a chunk, so the next page starts a new one."""
    return (sentence + "\n") * times


def encrypt(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def tex_symbols_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF drawing each line in Helvetica, a line each from the top down, and each
    "⊣" in it in an embedded Type1 font made as TeX's symbol fonts are: no /Encoding and no
    ToUnicode map, its own encoding naming the glyph at code 97 ("a") `turnstileright`, a name
    the Adobe Glyph List lacks."""
    drawn = []
    for n, line in enumerate(lines):
        runs = (") Tj /TS 10 Tf (a) Tj /F1 10 Tf (").join(_escape(part)
                                                          for part in line.split("⊣"))
        drawn.append(f"BT 40 {800 - 12 * n} Td /F1 10 Tf ({runs}) Tj ET\n")
    program = _type1_font("TestSymbols", {97: "turnstileright"})
    return _tex_symbols_page(drawn, program, 97)


def tex_copyright_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF drawing each line in Helvetica, a line each from the top down, and each
    "©" in it as TeX does: a glyph named `circlecopyrt` (code 13) of a Type1 font made as
    TeX's symbol fonts are (`tex_symbols_pdf`), with a small Helvetica "c" drawn inside it."""
    drawn = []
    for n, line in enumerate(lines):
        runs = (") Tj /TS 10 Tf (\\015) Tj /F1 6 Tf [920 (c) -420] TJ /F1 10 Tf (").join(
            _escape(part) for part in line.split("©"))
        drawn.append(f"BT 40 {800 - 12 * n} Td /F1 10 Tf ({runs}) Tj ET\n")
    program = _type1_font("TestSymbols", {13: "circlecopyrt"}, _SQUARE)
    return _tex_symbols_page(drawn, program, 13)


def _tex_symbols_page(drawn: Sequence[str], program: tuple[bytes, int, int],
                      code: int) -> bytes:
    """The page drawing `drawn`, with the symbol font `program` (one glyph, at `code`)."""
    program, clear, private = program
    font_file = (b"<< /Length %d /Length1 %d /Length2 %d /Length3 0 >>\nstream\n"
                 % (len(program), clear, private) + program + b"\nendstream")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
               b"/F1 3 0 R /TS 6 0 R >> >> /Contents 5 0 R >>",
               _stream_object("".join(drawn).encode()),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /TestSymbols /FirstChar %d "
               b"/LastChar %d /Widths [778] /FontDescriptor 7 0 R >>" % (code, code),
               b"<< /Type /FontDescriptor /FontName /TestSymbols /Flags 4 "
               b"/FontBBox [0 0 700 700] /ItalicAngle 0 /Ascent 700 /Descent 0 /CapHeight 700 "
               b"/StemV 40 /FontFile 8 0 R >>",
               font_file]
    return pdf_file(objects)


# a glyph's outline, as charstring ops: a bar, and a square a letter may be drawn inside
_BAR = [(0, 778, 13), (100, 0, 21), (0, 700, 5), (80, 0, 5), (0, -700, 5), 9, 14]
_SQUARE = [(0, 778, 13), (0, -100, 21), (0, 900, 5), (778, 0, 5), (0, -900, 5), 9, 14]


def _type1_font(name: str, glyphs: dict[int, str], outline: list = _BAR
                ) -> tuple[bytes, int, int]:
    """A Type1 font program whose built-in encoding names each of `glyphs` by its code, every
    glyph the same `outline`; and the lengths of its clear and its encrypted parts."""
    encoding = "".join(f"dup {code} /{glyph} put\n" for code, glyph in glyphs.items())
    clear = (f"%!PS-AdobeFont-1.0: {name} 001.000\n11 dict begin\n/FontType 1 def\n"
             "/FontMatrix [0.001 0 0 0.001 0 0] readonly def\n"
             f"/FontName /{name} def\n/FontBBox {{0 0 700 700}} readonly def\n/PaintType 0 def\n"
             "/Encoding 256 array\n0 1 255 {1 index exch /.notdef put} for\n"
             f"{encoding}readonly def\ncurrentdict end\ncurrentfile eexec\n").encode()
    drawn = _charstring(outline)
    notdef = _charstring([(0, 500, 13), 14])
    names = {".notdef": notdef, **{glyph: drawn for glyph in glyphs.values()}}
    strings = b"".join(b"/%s %d RD " % (glyph.encode(), len(data)) + data + b" ND\n"
                       for glyph, data in names.items())
    private = (b"dup /Private 8 dict dup begin\n/RD{string currentfile exch readstring pop}"
               b"executeonly def\n/ND{noaccess def}executeonly def\n/NP{noaccess put}executeonly"
               b" def\n/BlueValues [] ND\n/MinFeature{16 16}ND\n/password 5839 def\n"
               b"/lenIV 4 def\n2 index /CharStrings %d dict dup begin\n" % len(names)
               + strings + b"end\nend\nreadonly put\nnoaccess put\n"
               b"dup/FontName get exch definefont pop\nmark currentfile closefile\n")
    encrypted = _encrypted(b"\0\0\0\0" + private, 55665)
    return clear + encrypted, len(clear), len(encrypted)


def _charstring(ops: list) -> bytes:
    """A Type1 charstring, encrypted: each op its operands then its code, or a bare code."""
    data = bytearray()
    for op in ops:
        *operands, code = op if isinstance(op, tuple) else (op,)
        for number in operands:
            data += _charstring_number(number)
        data.append(code)
    return _encrypted(b"\0\0\0\0" + bytes(data), 4330)


def _charstring_number(number: int) -> bytes:
    if -107 <= number <= 107:
        return bytes([number + 139])
    if 108 <= number <= 1131:
        return bytes([(number - 108) // 256 + 247, (number - 108) % 256])
    return bytes([(-number - 108) // 256 + 251, (-number - 108) % 256])


def _encrypted(data: bytes, key: int) -> bytes:
    """Type1's encryption of `data` (eexec's key 55665, a charstring's 4330)."""
    out = bytearray()
    for byte in data:
        cipher = byte ^ (key >> 8)
        key = ((cipher + key) * 52845 + 22719) & 0xFFFF
        out.append(cipher)
    return bytes(out)
