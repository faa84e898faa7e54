"""A date a question types in figures ("16/05/2026", "5/16/26", "2026-05-16") finds and
quotes the passage writing that day in words ("16-17 May 2026"), read day first or month
first as its numbers allow, both ways when either fits."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli.main import app
from rag.text import lexical
from rag.text.dates import dates_in
from rag.text.identifiers import identifiers
from tests.pdfgen import make_pdf

runner = CliRunner()
MOVE = "The move will take place over the weekend of 16-17 May 2026."
# the minutes' other days share the question's figures (16, 2026) but not its month
MINUTES = f"""NORTHWIND SUPPLIES LTD
Minutes of the Operations Meeting
Date: 12 March 2026, 10:00-11:15
Location: Meeting room Birch, Leeds office

Attendees: Sarah Collins (chair, Operations Director), Mark Ellis (Warehouse Manager), Priya
Raman (Finance Manager), Jonas Weber (IT Lead), Helen Price (minutes)
Apologies: Daniel Hughes (Head of Sales)

1. Minutes of the previous meeting
The minutes of the meeting held on 12 February 2026 were approved without changes.

2. Warehouse relocation
Mark Ellis reported that the lease for the new warehouse in Wakefield was signed on 2 March
2026. {MOVE} Deliveries will be paused on Friday 15 May.
The total relocation budget is £85,000, of which £62,000 has been committed.
Decision: the meeting approved hiring a removal firm, Swift Logistics, for £18,500.

3. New expense system
Priya Raman said that Expensify will replace paper expense forms from 1 April 2026.
Training sessions will be held on 24 and 26 March.
Paper forms will not be accepted after 30 April 2026.

4. IT matters
Jonas Weber reported that the laptop refresh for 40 staff is delayed because of supplier
shortages; the new date is the end of June 2026.
The VPN will be down for maintenance on Saturday 21 March from 22:00 to 02:00.

5. Any other business
The summer party will be held on Friday 10 July 2026 at Harewood House.

Action items
- Mark Ellis: send the relocation timetable to all staff by 20 March 2026.
- Priya Raman: book the Expensify training rooms by 16 March 2026.
- Jonas Weber: confirm the laptop delivery date with the supplier by 31 March 2026.
- Helen Price: circulate these minutes by 13 March 2026.

Next meeting: 9 April 2026 at 10:00, meeting room Birch.
"""
MAY_16 = datetime.date(2026, 5, 16)


@pytest.mark.parametrize("written, days", [
    ("16/05/2026", (MAY_16,)),  # day first: no 16th month
    ("05/16/2026", (MAY_16,)),  # month first
    ("16/05/26", (MAY_16,)),
    ("5/16/26", (MAY_16,)),
    ("2026-05-16", (MAY_16,)),
    ("2026/5/16", (MAY_16,)),
    ("16-05-2026", (MAY_16,)),
    ("05/06/2026", (datetime.date(2026, 6, 5), datetime.date(2026, 5, 6))),  # either way
    ("06/06/2026", (datetime.date(2026, 6, 6),)),
    ("1/2/99", (datetime.date(1999, 2, 1), datetime.date(1999, 1, 2))),
    ("16.05.2026", (MAY_16,)),  # dots: day first, as every country writing them does
    ("1.2.1999", (datetime.date(1999, 2, 1),)),
])
def test_a_date_in_figures_names_the_days_its_numbers_allow(written: str, days) -> None:
    assert dates_in(f"What is happening on {written}?") == ((written, days),)


@pytest.mark.parametrize("text", [
    "/blog/2026/05/16/move", "1/2/3", "16/13/2026", "31/02/2026", "10-12-15", "3/4",
    "the weekend of 16-17 May 2026", "version 2.10.3", "1.16.05.2026",
    "16.05.2026.1", "v16.05.2026", "16.13.2026", "16.05.26",
])
def test_figures_that_name_no_day_are_no_date(text: str) -> None:
    assert dates_in(text) == ()


def test_a_date_in_figures_asks_for_its_day_in_words() -> None:
    assert lexical.asked_terms("What is happening on 16/05/2026?") == {"happen", "16", "may",
                                                                       "2026"}
    # a sentence writing the day in figures holds it in words too
    assert lexical.term_shares("What is happening on 16 May 2026?",
                               ["The move is on 16/05/2026."]) == [0.75]


@pytest.mark.parametrize("question", [
    "What is happening on 16/05/2026?",  # the UK's and Europe's order
    "What is happening on 05/16/2026?",  # the US order
    "What is happening on 16/05/26?",
])
@pytest.mark.slow
def test_a_question_typing_a_date_in_figures_quotes_the_day_written_in_words(
        env, tmp_path: Path, question: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "minutes.txt").write_text(MINUTES)
    assert runner.invoke(app, ["ingest", str(docs)]).exit_code == 0
    result = runner.invoke(app, ["ask", question, "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["answer"].startswith(MOVE)


def test_a_date_with_dots_is_no_version_a_question_looks_up_as_written() -> None:
    assert identifiers("What is happening on 16.05.2026?") == []
    assert identifiers("Is 2.10.3 out?") == ["2.10.3"]


@pytest.mark.parametrize(("written", "question"), [
    ("16.05.2026", "What is happening on 16 May 2026?"),
    ("16 May 2026", "What is happening on 16.05.2026?"),
])
@pytest.mark.slow
def test_a_pdf_writing_a_date_with_dots_answers_a_question_naming_the_day(
        env, tmp_path: Path, written: str, question: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    move = MOVE.replace("16-17 May 2026", f"{written} and the day after")
    (docs / "minutes.pdf").write_bytes(make_pdf([MINUTES.replace(MOVE, move)]))
    assert runner.invoke(app, ["ingest", str(docs)]).exit_code == 0
    result = runner.invoke(app, ["ask", question, "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["answer"].startswith(move)
