"""A symbol drawn from a font without a ToUnicode map, which names its glyph by a name the
Adobe Glyph List lacks (TeX's math fonts: the Octave manual's output marker "⊣"), is read by
that name, not as the letter of its code."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from ingest.formats.pdf import page_text
from ingest.formats.pdf_glyph_names import builtin_encoding, glyph_text
from ingest.loaders import load_bytes
from tests.conftest import shared_path
from tests.pdfgen import tex_copyright_pdf, tex_symbols_pdf


def test_a_tex_symbol_is_read_by_its_glyph_name_not_as_the_letter_of_its_code():
    pdf = tex_symbols_pdf(["load myfile.mat", "A", "⊣ A =", "⊣", "⊣ 1 2 3"])
    text = load_bytes(Path("manual.pdf"), pdf).pages[0].text
    assert "⊣ A =\n⊣\n⊣ 1 2 3" in text
    assert "a A =" not in text
    assert "load myfile.mat" in text  # the letters of the text's own font stay letters


def test_tex_copyright_sign_a_circle_around_a_c_reads_as_one_sign():
    """TeX draws "©" as its symbol font's circle with a small "c" set inside: one sign, not
    "©c"."""
    pdf = tex_copyright_pdf(["Copyright © 1998-2020 Kurt Hornik",
                             "Copyright © 2021-2022 R Core Team", "This document is free."])
    text = load_bytes(Path("manual.pdf"), pdf).pages[0].text
    assert ("Copyright © 1998-2020 Kurt Hornik\nCopyright © 2021-2022 R Core Team\n"
            "This document is free.") in text, text
    assert "©c" not in text


def test_the_octave_manual_reads_its_output_marker_sums_and_integrals():
    pdf = pdfium.PdfDocument(shared_path("data", "pdfs", "real", "octave.pdf"))
    try:
        loaded = page_text(pdf[293])
        assert "load myfile.mat\nA\n⊣ A =\n⊣\n⊣ 1 2 3\n⊣ 4 5 6" in loaded
        assert "‖A‖p =\n[∑" in page_text(pdf[609])  # was "kAkp =" and "X"
        assert "\\int ∫" in page_text(pdf[422])  # was "\\int R"
    finally:
        pdf.close()


def test_a_glyph_name_reads_as_its_character():
    assert glyph_text("turnstileright") == "⊣"  # Texinfo's output marker, \dashv
    assert glyph_text("turnstileleft") == "⊢"
    assert glyph_text("summationdisplay") == "∑"
    assert glyph_text("uni2211") == "∑"
    assert glyph_text("u1D400") == "𝐀"
    assert glyph_text("summation.display") == "∑"
    assert glyph_text("not-a-glyph") == ""
    assert glyph_text("") == ""


def test_a_type1_programs_own_encoding_names_its_codes():
    program = (b"%!PS-AdobeFont-1.0: CMSY10\n/Encoding 256 array\n"
               b"0 1 255 {1 index exch /.notdef put} for\ndup 97 /turnstileright put\n"
               b"dup 0 /minus put\nreadonly def\ncurrentfile eexec\n\x8f\x12dup 98 /x put")
    assert builtin_encoding(program) == {97: "turnstileright", 0: "minus"}
    assert builtin_encoding(b"\x01\x00\x04\x02CFF program") == {}
