"""Lists and tables as ingest writes them, quoted by the offline answer: a list's items after
the sentence introducing them, however few and capitalised their words; a table's row alone,
introducing no code or list after the table."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

COMMITTEE = ("The harbour committee has the following members:", ["Ann Linklater",
             "Tom Rendall", "Mia Drever"], "The committee meets on the first Monday of each month.")
KIT = ("The kit holds the following parts:", ["Hexagonal bolt", "Washer", "Spanner"],
       "Store the kit in a dry cupboard.")


def markdown_list(mark: str, lines: tuple[str, list[str], str]) -> str:
    """A Markdown section: the list's introduction, its items marked by `mark` ("-", or "1."
    counted on), the sentence after it."""
    introduction, items, after = lines
    marks = [f"{n}." for n in range(1, len(items) + 1)] if mark == "1." else [mark] * len(items)
    listed = "\n".join(f"{m} {item}" for m, item in zip(marks, items, strict=True))
    return f"# Harbour\n\n{introduction}\n\n{listed}\n\n{after}\n"


def word_document(build) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def word_list(lines: tuple[str, list[str], str]) -> bytes:
    """A Word section: its heading, the list's introduction, List Bullet items, the sentence
    after it."""
    introduction, items, after = lines

    def build(document) -> None:
        document.add_heading("Harbour", level=1)
        document.add_paragraph(introduction)
        for item in items:
            document.add_paragraph(item, style="List Bullet")
        document.add_paragraph(after)
    return word_document(build)


def asked(service, tmp_path: Path, name: str, data: str | bytes, question: str) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    report = service.ingest([path])
    assert report.ok, [f.error for f in report.files]
    return service.ask(question).text


@pytest.mark.parametrize(("name", "data", "lines", "question", "quoted"), [
    ("committee.md", markdown_list("-", COMMITTEE), COMMITTEE,
     "Who are the members of the harbour committee?", ["- Ann Linklater", "- Tom Rendall",
                                                        "- Mia Drever"]),
    ("crew.md", markdown_list("1.", COMMITTEE), COMMITTEE,
     "Who are the members of the harbour committee?", ["1. Ann Linklater", "2. Tom Rendall",
                                                        "3. Mia Drever"]),
    ("committee.docx", word_list(COMMITTEE), COMMITTEE,
     "Who are the members of the harbour committee?", ["- Ann Linklater", "- Tom Rendall",
                                                        "- Mia Drever"]),
    ("kit.md", markdown_list("-", KIT), KIT, "What parts does the kit hold?",
     ["- Hexagonal bolt", "- Washer", "- Spanner"]),
    ("kit.docx", word_list(KIT), KIT, "What parts does the kit hold?",
     ["- Hexagonal bolt", "- Washer", "- Spanner"]),
], ids=["markdown-bullets", "markdown-numbers", "word-bullets", "markdown-mixed", "word-mixed"])
def test_list_items_in_title_case_are_quoted_after_their_introduction(
        service, tmp_path: Path, name: str, data: str | bytes, lines, question: str,
        quoted: list[str]) -> None:
    """A name ("Ann Linklater") or a part ("Washer") has the few capitalised words of a
    title; a bullet or a number after the list's introduction says it is an item."""
    answer = asked(service, tmp_path, name, data, question)
    expected = "\n".join([f"{lines[0]} [1]", *(f"{item} [1]" for item in quoted)])
    assert answer == expected, answer


def crew_table(document) -> None:
    """A Name/Role table, then safety rules in a bulleted list of their own."""
    document.add_heading("Crew", level=1)
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("Name", "Role"), ("Olaf Brenner", "lighthouse keeper"),
                                        ("Ines Carvalho", "ferry pilot")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    for rule in ("Lifejackets are stored in locker B.", "Flares expire after three years.",
                 "The first-aid kit is under the chart table."):
        document.add_paragraph(rule, style="List Bullet")


@pytest.mark.parametrize(("name", "data", "question", "row"), [
    ("ports.md", "# Tidewatch\n\nTidewatch predicts tides for small harbours.\n\n"
     "## Supported ports\n\n| Port | Datum |\n| --- | --- |\n| Lerwick | 1.22 m |\n"
     "| Scrabster | 2.10 m |\n\n```bash\npip install tidewatch\ntidewatch --port lerwick\n```\n",
     "What is the datum for Scrabster?", "Port: Scrabster; Datum: 2.10 m"),
    ("fares.md", "# Ferry fares\n\n| Route | Fare |\n| --- | --- |\n| Oban to Mull | £4.20 |\n"
     "| Ullapool to Stornoway | £10.50 |\n\n```bash\necho hi\n```\n",
     "What is the fare for Ullapool to Stornoway?", "Route: Ullapool to Stornoway; Fare: £10.50"),
    ("crew.docx", word_document(crew_table), "Who is the ferry pilot?",
     "Name: Ines Carvalho; Role: ferry pilot"),
    ("berths.html", "<html><head><title>Berths</title></head><body><table><tr><th>Berth</th>"
     "<th>Vessel</th></tr><tr><td>North quay</td><td>research vessel Corystes</td></tr><tr>"
     "<td>South quay</td><td>a blue fishing boat</td></tr></table><ul><li>Shore power costs "
     "12 pounds a night.</li><li>Showers open at 7 am.</li></ul></body></html>",
     "What is moored at the south quay?", "Berth: South quay; Vessel: a blue fishing boat"),
    ("pumps.md", "# Pumps\n\n| Model | Capacity |\n| --- | --- |\n| K200 | 1.7 litres |\n"
     "| K300 | 2.4 litres |\n\nTo clean a pump, run:\n\n```sh\npumpctl clean --all\n```\n",
     "What is the capacity of the K300?", "Model: K300; Capacity: 2.4 litres"),
], ids=["markdown-code", "markdown-code-after-one-row", "word-list", "html-list",
        "last-row-before-an-introduction"])
def test_a_tables_row_is_quoted_alone_not_with_the_code_or_list_after_the_table(
        service, tmp_path: Path, name: str, data: str | bytes, question: str, row: str) -> None:
    """"Header: value; Header: value" ends on a value, as "the command is" ends before its
    code, or "..., such as" before its list; but a row is whole, and what follows the table
    is not its own."""
    answer = asked(service, tmp_path, name, data, question)
    assert answer == f"{row} [1]", answer


def test_a_sentence_after_a_list_does_not_lean_on_its_last_item(service, tmp_path: Path) -> None:
    """"By default it creates ..." after "- Verifier": "it" is the tool the list's
    introduction names, not the item; the item alone, without its list, says nothing."""
    manual = ("# Backup tool\n\nThe tool has three parts:\n\n- Scanner\n- Archiver\n- Verifier\n\n"
              "By default it creates a weekly backup. It also writes a log file.\n")
    answer = asked(service, tmp_path, "tool.md", manual, "How often does it create a backup?")
    assert "By default it creates a weekly backup." in answer, answer
    assert "Verifier [1] By default" not in answer, answer
