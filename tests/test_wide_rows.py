"""A table row wider than a chunk holds, as a reader asks of it: written as several lines, each
opening with the row's first value, so that the piece of the row a search finds and an answer
quotes still says whose figures it holds."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_bytes
from rag.service import RagService
from rag.text.table_rows import WIDE_ROW_CHARS, named_row
from tests.docgen import make_docx, make_xlsx

HEADER = ["Employee", "Team", *(f"Performance indicator {i}" for i in range(1, 41))]


def row(person: int) -> list[str]:
    return [f"Person{person}", f"Team {person}",
            *(f"{person * 100 + i} units" for i in range(1, 41))]


def test_a_narrow_row_is_one_line() -> None:
    assert named_row(["Region", "Q1"], ["North", "1200"]) == "Region: North; Q1: 1200"


def test_a_wide_row_is_lines_each_opening_with_its_first_value() -> None:
    lines = named_row(HEADER, row(2)).split("\n")
    assert len(lines) > 1
    assert all(line.startswith("Employee: Person2; ") for line in lines)
    assert all(len(line) <= WIDE_ROW_CHARS for line in lines)
    # every value once, in the row's order
    values = [piece for line in lines for piece in line.split("; ")[1:]]
    assert values == [f"{name}: {value}" for name, value in zip(HEADER[1:], row(2)[1:],
                                                                strict=True)]


def test_a_sheets_wide_rows_are_written_so() -> None:
    workbook = make_xlsx({"KPIs": [HEADER, row(1), row(2)]})
    text = load_bytes(Path("kpis.xlsx"), workbook).pages[0].text
    holding = [line for line in text.splitlines() if "Performance indicator 35: 235 units" in line]
    assert len(holding) == 1 and holding[0].startswith("Employee: Person2; ")
    assert len(holding[0]) <= WIDE_ROW_CHARS


def test_a_word_tables_wide_rows_are_written_so() -> None:
    document = make_docx([("KPIs", ["The team's figures."])], table=[HEADER, row(1), row(2)])
    text = "\n".join(page.text for page in load_bytes(Path("kpis.docx"), document).pages)
    holding = [line for line in text.splitlines() if "Performance indicator 35: 235 units" in line]
    assert len(holding) == 1 and holding[0].startswith("Employee: Person2; ")
    assert len(holding[0]) <= WIDE_ROW_CHARS


def test_a_figure_at_the_end_of_a_wide_row_is_answered_with_its_rows_name(
        service: RagService, tmp_path: Path) -> None:
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(make_xlsx({"KPIs": [HEADER, row(1), row(2), row(3)]}))
    service.ingest([path])
    answer = service.ask("What is Person2's Performance indicator 35?")
    text = "".join(answer)
    quoted = [line for line in text.split(" [") if "Performance indicator 35: 235 units" in line]
    assert quoted and "Person2" in quoted[0]

