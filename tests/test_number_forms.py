"""A number found as it is typed, whichever way the document writes it: a sheet shows
"4,821,937" where its value is 4821937, and an export writes "1234567" for "1,234,567"."""

from __future__ import annotations

import random

import pytest

from rag.service import RagService
from rag.text.lexical import number_forms


def test_a_number_is_also_searched_as_the_other_way_of_writing_it() -> None:
    joined, grouped = number_forms("Is 4821937 or 1,234,567 (or 1,234.50) due in 2024?")
    assert joined == ["1234567", "1234"]
    assert grouped == ["4_821", "821_937", "2_024"]
    assert number_forms("Invoice INV-12 of 12.5 kg") == ([], [])


@pytest.mark.parametrize("mode", ["sparse", "hybrid"])
def test_an_amount_is_found_typed_with_or_without_thousands(service: RagService,
                                                             mode: str) -> None:
    rng = random.Random(7)
    amounts = rng.sample(range(1_000_000, 9_999_999), 300)
    lines = [f"Invoice INV-{n:04}: the amount due is {amount:,} euros." for n, amount in
             enumerate(amounts)]
    rows = "\n\n".join(lines[:150])
    exported = "\n\n".join(line.replace(f"{amounts[n]:,}", str(amounts[n]))
                           for n, line in enumerate(lines[150:], start=150))
    service.ingest_bytes("invoices.md", f"# Invoices\n\n{rows}\n".encode(), "upload:invoices.md")
    service.ingest_bytes("export.md", f"# Export\n\n{exported}\n".encode(), "upload:export.md")
    for n, typed in ((42, str(amounts[42])), (160, f"{amounts[160]:,}")):
        hits = service.search(f"Which invoice has the amount {typed}?", top_k=5, mode=mode)
        assert any(f"INV-{n:04}:" in hit.text for hit in hits), (typed, mode)


def test_a_number_with_one_letter_is_searched_with_and_without_its_hyphen() -> None:
    assert number_forms("How do I plot a 3D surface, or a 2-D one, in 4K?") == (
        ["3d", "2d", "4k"], ["3_d", "2_d", "4_k"])
    assert number_forms("in the 70s and 80s, on a B-52") == ([], [])  # decades, a name


@pytest.mark.parametrize(("written", "asked"), [("3-D", "3D"), ("3D", "3-D")])
def test_a_document_writing_3_d_is_found_for_3d_and_the_other_way(
        service: RagService, written: str, asked: str) -> None:
    filler = "".join(f"Plot {n} draws a surface of a function over a grid of points.\n\n"
                     for n in range(40))
    service.ingest_bytes("plots.md", f"# Plots\n\n{filler}".encode(), "upload:plots.md")
    service.ingest_bytes("mesh.md", f"# Mesh\n\nThe mesh command draws a {written} surface "
                                    "of a matrix.\n".encode(), "upload:mesh.md")
    (best,) = service.search(f"How do I draw a {asked} surface?", top_k=1, mode="sparse")
    assert best.source == "upload:mesh.md"
