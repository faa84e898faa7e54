"""A web address that a PDF's layout cut right after its scheme, and the joining's cost on
text built to make it slow."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.formats.pdf_text import joined_addresses, mended
from ingest.loaders import load_bytes
from tests.pdfgen import make_pdf


def test_an_address_cut_after_its_scheme_is_made_whole() -> None:
    page = "Emacs users can try ESS (https://\nESS.R-project.org/) for R."
    text = load_bytes(Path("faq.pdf"), make_pdf([page])).pages[0].text
    assert "ESS (https://ESS.R-project.org/) for R." in text


@pytest.mark.parametrize(("wrapped", "read"), [
    ("https://\nESS.R-project.org/", "https://ESS.R-project.org/"),
    ("see https:// \n  www.gnu.org and", "see https://www.gnu.org and"),
    ("at http://\nlocalhost:8080/ once", "at http://localhost:8080/ once"),
    ("Addresses there begin with https://\nThe next section says why.", None),
    ("Every address is sent over https://\nnowadays.", None),
    ("The manual's addresses start with https://\n2.5 Mirrors", None),
])
def test_a_scheme_at_a_line_end_takes_the_next_word_only_when_it_names_a_host(
        wrapped: str, read: str | None) -> None:
    assert joined_addresses(wrapped) == (read or wrapped)


def test_an_address_without_its_scheme_cut_after_a_dot_is_made_whole() -> None:
    page = "The project lives at www.example.\ncom/path and nowhere else."
    text = load_bytes(Path("guide.pdf"), make_pdf([page])).pages[0].text
    assert "The project lives at www.example.com/path and nowhere else." in text


@pytest.mark.parametrize(("wrapped", "read"), [
    ("at www.example.\ncom/path once", "at www.example.com/path once"),
    ("at www.\nexample.com once", "at www.example.com once"),
    ("Visit www.example.com.\nThe next section says why.", None),
    ("Read the www.\nThe next section says why.", None),
])
def test_an_address_opening_with_www_is_joined_as_one_with_its_scheme(
        wrapped: str, read: str | None) -> None:
    assert joined_addresses(wrapped) == (read or wrapped)


@pytest.mark.parametrize("line", [
    "https://" * (2**20 // 8),
    "www." * (2**20 // 4),
    "a/" * (2**20 // 2),
    "(https://" * (2**20 // 9),  # every address a search could start from
    "https://" + "a/" * (2**20 // 2),
], ids=["schemes", "www", "slashes", "bracketed schemes", "one long address"])
@pytest.mark.parametrize("line_end", ["", "\nnext line"], ids=["last line", "wrapped"])
def test_a_hostile_line_of_a_megabyte_is_mended_in_linear_time(line: str,
                                                               line_end: str) -> None:
    started = time.perf_counter()
    mended(line + line_end)
    assert time.perf_counter() - started < 5.0  # a quadratic search takes minutes
