"""A table row wider than a chunk holds, as a reader asks of it: written as several lines, each
opening with the row's first value, so that the piece of the row a search finds and an answer
quotes still says whose figures it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import Chunker
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


LONG_NOTE = " ".join([*(["The kettle boils water quickly and quietly."] * 12),
                      *(["Its handle stays cool to the touch at all times."] * 12),
                      "Warranty covers the heating plate for five years."])


def test_a_cell_too_long_for_a_line_is_cut_at_sentence_ends_each_part_named() -> None:
    """Each line of the row, not only the first, says whose note it holds, so the sentence
    at the note's end is found with its product."""
    lines = named_row(["SKU", "Product", "Note"], ["K200", "Kettle", LONG_NOTE]).split("\n")
    assert lines[0].startswith("SKU: K200; Product: Kettle")
    noted = [line for line in lines if "Note: " in line]
    assert len(noted) > 2 and all(line.startswith("SKU: K200; ") for line in noted)
    assert all(len(line) <= WIDE_ROW_CHARS and line.endswith(".") for line in noted)
    parts = [line.split("Note: ", 1)[1] for line in noted]
    assert " ".join(parts) == LONG_NOTE  # every sentence once, in order
    assert lines[-1].endswith("Warranty covers the heating plate for five years.")


def test_a_sentence_too_long_for_a_line_is_cut_between_words() -> None:
    words = [f"remark{n}" for n in range(300)]
    lines = named_row(["ID", "Comment"], ["1", " ".join(words)]).split("\n")
    assert all(line.startswith("ID: 1; Comment: remark") for line in lines)
    assert all(len(line) <= WIDE_ROW_CHARS for line in lines)
    assert [w for line in lines for w in line.removeprefix("ID: 1; Comment: ").split()] == words


def test_a_long_first_value_opens_each_line_cut_short() -> None:
    lines = named_row(["Title", "Note"], [LONG_NOTE, "Short note."]).split("\n")
    assert all(len(line) <= WIDE_ROW_CHARS for line in lines)
    assert lines[0].startswith("Title: The kettle boils")
    assert all(line.startswith("Title: The kettle boils") and " …; " in line
               for line in lines[1:])
    assert lines[-1].endswith("; Note: Short note.")


def test_a_sheets_and_a_csvs_long_cells_are_written_so() -> None:
    rows = [["SKU", "Product", "Note"], ["K200", "Kettle", LONG_NOTE],
            ["T100", "Toaster", "Two slots."]]
    csv = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows).encode()
    for name, data in (("catalog.xlsx", make_xlsx({"Catalog": rows})), ("catalog.csv", csv)):
        text = load_bytes(Path(name), data).pages[0].text
        holding = [line for line in text.splitlines() if "Warranty covers" in line]
        assert len(holding) == 1 and holding[0].startswith("SKU: K200; Note: "), name
        assert "T100" not in holding[0] and len(holding[0]) <= WIDE_ROW_CHARS


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


PUMP_NOTE = " ".join(f"Pump {n} was inspected on site and its seals were replaced because "
                     "they leaked oil onto the floor of the station." for n in range(12))
# about as many characters, each a token: a line of a wide row holds more than a chunk
PUMP_NOTE_CJK = "，".join(f"泵{n}号在现场检查后更换了密封件因为它们把油漏到了泵站的地板上"
                         for n in range(20)) + "。"


@pytest.mark.parametrize(("note", "chunk_tokens"), [(PUMP_NOTE_CJK, 200), (PUMP_NOTE, 60),
                                                    (PUMP_NOTE, 200)])
def test_each_chunk_of_a_row_longer_than_a_chunk_opens_with_its_first_value(
        embedder, note: str, chunk_tokens: int) -> None:
    """Cut at its "; " or at its cell's sentences, such a row left pieces that say nothing of
    whose values they hold, or nothing but its key ("ID: 1;")."""
    csv = f'ID,Comment,Status\n1,"{note}",open\n2,Short note.,closed\n'.encode()
    document = load_bytes(Path("pumps.csv"), csv)
    chunks = Chunker(embedder.token_counter(), chunk_tokens, 30, 254)(document)
    of_the_row = [chunk.text.removeprefix("ID | Comment | Status").strip() for chunk in chunks
                  if "ID: 2;" not in chunk.text and chunk.text != "ID | Comment | Status"]
    assert len(of_the_row) > 1
    assert all(text.startswith("ID: 1; ") for text in of_the_row), of_the_row
    assert all(chunk.token_count < chunk_tokens for chunk in chunks)
    said = " ".join(text.removeprefix("ID: 1; ") for text in of_the_row)
    assert "Status: open" in said and said.count("Comment: ") >= len(of_the_row) - 1
    assert all(f"{n}号" in said if note is PUMP_NOTE_CJK else f"Pump {n} " in said
               for n in range(12))

PUMP_TABLES = [
    ("pumps.md", f"# Pumps\n\n| ID | Comment | Status |\n|---|---|---|\n"
                 f"| 1 | {PUMP_NOTE} | open |\n| 2 | Short note. | closed |\n"),
    # a section's heading row between the header and the row; cells short enough to name
    ("pumps.html", "<table><tr><th>ID</th>"
                   + "".join(f"<th>Visit {n}</th>" for n in range(12)) + "</tr>"
                   "<tr><th>North</th><th>site</th></tr><tr><td>1</td>"
                   + "".join(f"<td>Pump {n} was inspected and its seals replaced.</td>"
                             for n in range(12)) + "</tr></table>"),
]


@pytest.mark.parametrize(("name", "text"), PUMP_TABLES)
def test_each_chunk_of_a_markdown_or_html_tables_long_row_opens_with_its_first_value(
        embedder, name: str, text: str) -> None:
    document = load_bytes(Path(name), text.encode())
    chunks = Chunker(embedder.token_counter(), 60, 30, 254)(document)
    of_the_row = [line for chunk in chunks for line in chunk.text.split("\n")
                  if "Pump 3 " in line or "Pump 9 " in line]
    assert len(of_the_row) == 2 and all(line.startswith("ID: 1; ") for line in of_the_row)


PUMP_LOG = ("Symptom: the pump hums but does not start after a power cut; "
            f"Cause: the thermal fuse has tripped; Fix: {PUMP_NOTE}; "
            "Advice: keep the intake screen clear.")


@pytest.mark.parametrize("name", ["pump-log.txt", "pump-log.md"])
@pytest.mark.parametrize("chunk_tokens", [60, 200])
def test_a_line_of_named_values_that_is_no_tables_row_is_chunked_as_written(
        embedder, name: str, chunk_tokens: int) -> None:
    """Only a row under its table's header is written as lines opening with its first
    value: a line of prose in the same shape would quote its first value in each chunk,
    text the file does not hold."""
    document = load_bytes(Path(name), f"Pump P-300 log\n\n{PUMP_LOG}\n".encode())
    chunks = Chunker(embedder.token_counter(), chunk_tokens, 30, 254)(document)
    said = " ".join(chunk.text for chunk in chunks)
    assert len(chunks) > 1
    assert said.count("Symptom: ") == 1 and said.count("Fix: ") == 1


def test_a_figure_at_the_end_of_a_wide_row_is_answered_with_its_rows_name(
        service: RagService, tmp_path: Path) -> None:
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(make_xlsx({"KPIs": [HEADER, row(1), row(2), row(3)]}))
    service.ingest([path])
    answer = service.ask("What is Person2's Performance indicator 35?")
    text = "".join(answer)
    quoted = [line for line in text.split(" [") if "Performance indicator 35: 235 units" in line]
    assert quoted and "Person2" in quoted[0]

