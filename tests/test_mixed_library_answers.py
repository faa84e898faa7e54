"""Offline answers from a library of mixed documents, ingested as the app does: a meeting's
transcript ("Name: text" turns), a workbook of two sheets (a table of ranges), a README whose
list the chunker cuts from its introduction, a support page whose headings lost their markup,
and a product named by a short code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.extractive import ExtractiveGenerator, hedge, not_mentioned
from rag.service import RagService, build_service
from rag.text.identifiers import short_codes
from rag.text.table_rows import in_ranges, numbers_in
from rag.types import GenerationRecord, Hit
from tests.conftest import fresh_settings
from tests.docgen import make_xlsx

TRANSCRIPT = """Weekly operations meeting, 3 November 2025

Attendees: Priya Shah (chair), Tom Becker, Lina Okafor, Marcus Hale.

Priya Shah: Good morning everyone. Let's start with the Rotterdam depot. Tom, where are we with the electric vans?
Tom Becker: The first six vans arrive on 17 November. The charging points were installed last week, but two of them failed the safety inspection, so an electrician is coming back on Thursday.
Priya Shah: Will that delay the pilot?
Tom Becker: No. We can run the pilot with four chargers for the first two weeks.
Lina Okafor: On customer service, the call backlog is down to 140 tickets from 410 last month. The new triage script helped a lot.
Marcus Hale: I have bad news on the scanners. The supplier says the replacement units will not ship until 20 January 2026, so we will miss the February target by about two weeks.
Priya Shah: Okay. Marcus, please ask the supplier for a loan of twenty units until then. Lina, can you draft a note to the depot managers?
Lina Okafor: Yes, I will send it by Wednesday.
"""  # noqa: E501

README = """# tidyqueue

tidyqueue is a small Python library for running background jobs backed by SQLite. It needs Python 3.10 or newer and has no other dependencies.

## Installation

Install it from the project folder with pip:

```bash
pip install -e .
```

## Quick start

Create a queue, add a job and start a worker:

```python
from tidyqueue import Queue

q = Queue("jobs.db")
q.enqueue("send_email", to="ann@example.com")
q.work(concurrency=4)
```

The worker polls the database every 2 seconds by default. Set `poll_interval` to change it.

## Configuration

The following environment variables are read at start-up:

- `TQ_DB_PATH`: path to the SQLite file (default `./tidyqueue.db`)
- `TQ_MAX_RETRIES`: how many times a failed job is retried (default 3)
- `TQ_RETRY_DELAY`: seconds to wait between retries (default 60)
- `TQ_LOG_LEVEL`: one of DEBUG, INFO, WARNING (default INFO)

## Retrying failed jobs

A job that raises an exception is retried up to `TQ_MAX_RETRIES` times. After the last retry it is moved to the dead-letter table. To retry all dead jobs by hand, run:

```bash
tidyqueue requeue --all --db jobs.db
```

## License

tidyqueue is released under the MIT License.
"""  # noqa: E501

SUPPORT_PAGE = """<!DOCTYPE html>
<html><head><title>Kettlewise K2 Kettle - Support</title></head>
<body>
<header><h1>Kettlewise K2 Kettle Support</h1></header>
<main>
<h2>Descaling your kettle</h2>
<p>Limescale builds up faster in hard water areas. We recommend descaling the K2 every four weeks in hard water areas and every three months in soft water areas.</p>
<p>To descale the kettle:</p>
<ol><li>Fill the kettle with 500 ml of water and 500 ml of white vinegar.</li><li>Boil the mixture and leave it to stand for one hour.</li><li>Empty the kettle and rinse it three times with clean water.</li><li>Boil a full kettle of clean water and discard it.</li></ol>
<h2>Warranty</h2>
<p>The K2 comes with a 2-year warranty from the date of purchase. The warranty does not cover damage caused by limescale or by dropping the kettle.</p>
</main>
</body></html>
"""  # noqa: E501

PRICES = {
    "Prices 2025": [
        ["SKU", "Product", "Unit", "Price (EUR)", "Min order"],
        ["NW-100", "Standard pallet delivery", "pallet", 45, 1],
        ["NW-110", "Express pallet delivery (24h)", "pallet", 72.5, 1],
        ["NW-200", "Parcel up to 5 kg", "parcel", 6.9, 10],
        ["NW-210", "Parcel 5-20 kg", "parcel", 11.4, 10],
        ["NW-300", "Cold-chain storage", "pallet/week", 28, 2],
    ],
    "Discounts": [
        ["Annual volume (pallets)", "Discount"],
        ["0-499", "0%"],
        ["500-1999", "5%"],
        ["2000-4999", "8%"],
        ["5000+", "12%"],
    ],
}


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, embedder, model_dir: Path
) -> Iterator[RagService]:
    folder = tmp_path_factory.mktemp("mixed")
    docs = folder / "docs"
    docs.mkdir()
    (docs / "standup_transcript.txt").write_text(TRANSCRIPT)
    (docs / "README.md").write_text(README)
    (docs / "support_page.html").write_text(SUPPORT_PAGE)
    (docs / "price_list_2025.xlsx").write_bytes(make_xlsx(PRICES))
    service = build_service(fresh_settings(folder, model_dir), embedder=embedder)
    service.ingest([docs])
    yield service
    service.close()


def _quotes(answer: str) -> str:
    """The answer's quoted text, its citations left out."""
    return re.sub(r"\s*\[\d+\]", "", answer)


def _turns() -> list[tuple[str, list[str]]]:
    """Each turn of the transcript: its speaker and its sentences, its first without the name."""
    turns = []
    for line in TRANSCRIPT.splitlines():
        speaker, colon, said = line.partition(": ")
        if colon and speaker[:1].isupper() and speaker != "Attendees":
            turns.append((speaker, re.split(r"(?<=[.?!])\s+", said)))
    return turns


def _unlabelled_later_sentences(answer: str) -> list[str]:
    """The turns' sentences after their first that the answer quotes with neither the
    sentence before them nor their speaker's name right before them."""
    quoted = _quotes(answer)
    unlabelled = []
    for speaker, sentences in _turns():
        for before, sentence in zip(sentences, sentences[1:], strict=False):
            for found in re.finditer(re.escape(sentence), quoted):
                ahead = quoted[: found.start()].rstrip()
                if not (ahead.endswith(before) or ahead.endswith(f"{speaker}: …")):
                    unlabelled.append(sentence)
    return unlabelled


def test_an_introduction_ending_a_passage_whose_next_chunk_is_not_found_is_kept(embedder) -> None:
    """Where the passage after it was not found, the sentence ending on a colon is all the
    answer can say of what follows it: "He gave his response the next day:" answers when."""
    text = (
        "Eck asked Luther whether the books were his. Luther confirmed he was their author, "
        "but requested time to think about the answer. He prayed, consulted friends, and gave "
        "his response the next day:"
    )
    request = GenerationRequest(
        "When did Luther give his response to Eck?", [Hit("d", "luther.txt", None, "c", 1.0, text)]
    )
    answer = "".join(ExtractiveGenerator(embedder).stream(request, GenerationRecord()))
    assert "gave his response the next day:" in answer, answer


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "When do the electric vans arrive?",
        "What did Marcus say about the scanners?",
        "What did Tom Becker say?",
        "Will the pilot be delayed?",
    ],
)
def test_a_turns_later_sentence_is_quoted_with_its_speakers_name(library, question) -> None:
    """Quoted without the sentence before it, a turn's later sentence would read as the
    previous speaker's: it is shown after its speaker's name ("Marcus Hale: … The supplier
    says ...")."""
    answer = library.ask(question).text
    assert _unlabelled_later_sentences(answer) == [], answer


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "set_up", "said"),
    [
        (
            "What did Marcus say about the scanners?",
            "Marcus Hale: I have bad news on the scanners.",
            "The supplier says the replacement units will not ship until 20 January 2026",
        ),
        (
            "What did Tom Becker say?",
            "Tom Becker: No.",
            "We can run the pilot with four chargers for the first two weeks.",
        ),
    ],
)
def test_a_turns_first_sentence_saying_little_brings_the_next(
    library, question, set_up, said
) -> None:
    quoted = _quotes(library.ask(question).text)
    assert set_up in quoted and said in quoted.split(set_up, 1)[1], quoted


@pytest.mark.slow
def test_a_number_within_a_rows_range_finds_that_row(library) -> None:
    """ "2500 pallets" names no value the Discounts sheet writes, but falls within its row
    "2000-4999": that row is quoted, not the price sheet's rows that share "pallet"."""
    answer = library.ask("What discount do I get for 2500 pallets a year?")
    assert hedge(answer.text) is None, answer.text
    assert "Annual volume (pallets): 2000-4999; Discount: 8%" in answer.text
    assert "NW-100" not in answer.text
    open_ended = library.ask("What discount do I get for 6000 pallets a year?").text
    assert "5000+; Discount: 12%" in open_ended and "2000-4999" not in open_ended


@pytest.mark.slow
def test_a_lists_introduction_ending_its_passage_is_not_quoted_without_the_list(library) -> None:
    """The chunk the introduction ends holds none of its items (the next chunk does): quoted,
    it would promise a list the answer does not show."""
    quoted = _quotes(library.ask("How do I start a worker in tidyqueue?").text)
    introduction = "The following environment variables are read at start-up:"
    assert introduction not in quoted or "TQ_DB_PATH" in quoted.split(introduction, 1)[1]
    assert "q.work(concurrency=4)" in quoted


@pytest.mark.slow
@pytest.mark.parametrize(
    "question", ["How often should I descale the kettle?", "How ofen should I descale the kettle?"]
)
def test_a_heading_without_its_markup_is_not_quoted_as_a_sentence(library, question) -> None:
    """An HTML page's "Descaling your kettle" (an <h2>, plain text once ingested) names what
    the paragraph under it says: the answer quotes that paragraph's fact, not the heading."""
    quoted = _quotes(library.ask(question).text)
    assert "every four weeks in hard water areas" in quoted
    assert "Descaling your kettle" not in quoted


@pytest.mark.slow
def test_a_short_code_no_passage_writes_is_not_mentioned(library) -> None:
    """The library writes "K2", never "K3": a question about the K3 is told so first."""
    retriever = library.retriever
    asked = "How much does the K3 kettle cost?"
    assert retriever.unheld(asked, retriever.search(asked, 5)) == ("K3",)
    assert retriever.unheld("How long is the K2 warranty?", []) == ()
    # ordinary short words and numbers are no codes
    assert retriever.unheld("Can I get 2 kettles in a box of 5?", []) == ()
    assert hedge(library.ask(asked).text) == not_mentioned(["K3"])


def test_short_codes_are_a_letter_then_a_digit() -> None:
    assert short_codes("How much is the K3, or the k9's price? A4 paper?") == ["K3", "k9", "A4"]
    # a number with its unit or ordinal, a word, a number, a longer code (`identifiers`'s)
    assert short_codes("Is 3D or 4K or 5G on I-5 in 2 of 10 at E9999 or B12?") == []


def test_numbers_fall_within_the_ranges_a_row_writes() -> None:
    assert numbers_in("2,500 pallets, 72.5 EUR, code NW-100, K3") == [2500.0, 72.5]
    assert in_ranges([2500.0, 6000.0], "Annual volume: 2000-4999; Discount: 8%") == [2500.0]
    assert in_ranges([2500.0, 6000.0], "Annual volume: 5000+; Discount: 12%") == [6000.0]
    assert in_ranges([12.0], "Parcel 5 – 20 kg") == [12.0]
    assert in_ranges([12.0], "Parcel 5 to 20 kg") == [12.0]
    # a code's or a date's pieces are no range
    assert in_ranges([100.0, 11.0, 2025.0], "NW-100 shipped 2025-11-03") == []
