"""The app's logic outside Streamlit: metrics, page images, rate limits, export, answer
options, identity, stopping a stream, and the workspace the app's sessions share."""

from __future__ import annotations

import contextvars
import io
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt
from PIL import Image

from rag.answering.answerer import NOTHING_FOUND
from rag.app.context import in_scope
from rag.app.history import HistoryStore
from rag.app.metrics import (
    CallRecord,
    Metrics,
    RequestRecord,
    percentile,
    start_of_utc_day,
    timed,
)
from rag.engine.access import RateLimits
from rag.engine.engine import Engine
from rag.engine.options import AskOptions, available_generators
from rag.engine.pages import passage_spans, render_page
from rag.errors import ConfigError, InputTooLongError
from rag.settings import load_settings
from rag.stores.base import MIN_FREE_BYTES
from rag.types import Answer, GenerationRecord
from tests.conftest import fresh_settings
from tests.pdfgen import filler, make_pdf
from ui.chat import message_from
from ui.conversation import answer_meta, message_markdown, to_markdown
from ui.sources import _page_image, _PageUnavailable, quoted_passage

SUN = "Tomatoes need at least eight hours of direct sunlight each day."


def greenhouse_pdf() -> bytes:
    return make_pdf([filler("Plants need light and water."), f"{SUN}\nSecond line."],
                    title="Greenhouse guide")


class Upload:
    """An uploaded file whose bytes must not be read when it is too large."""

    def __init__(self, name: str, data: bytes | None, size: int | None = None) -> None:
        self.name, self._data = name, data
        self.size = len(data) if data is not None else size

    def getvalue(self) -> bytes:
        if self._data is None:
            raise AssertionError(f"{self.name} was read")
        return self._data


# --- metrics ---------------------------------------------------------------------------------

def test_percentile_interpolates() -> None:
    assert percentile([], 95) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([float(v) for v in range(1, 101)], 95) == pytest.approx(95.05)
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5


def test_summary_counts_errors_stops_cache_hits_and_todays_neurons() -> None:
    now = datetime(2026, 5, 2, 10, 30, tzinfo=UTC).timestamp()
    metrics = Metrics(None, clock=lambda: now)
    yesterday = now - 11 * 3600  # 23:30 UTC the day before
    rows = [
        RequestRecord(now - 60, "ok", 100.0, 40.0, neurons=3.0, generator="workers-ai",
                      user="u1"),
        RequestRecord(now - 50, "ok", 300.0, 20.0, cached=True, generator="workers-ai"),
        RequestRecord(now - 40, "error", 900.0, None, generator="workers-ai", error="boom"),
        RequestRecord(now - 30, "stopped", 50.0, 10.0, neurons=None, generator="extractive",
                      user="u1"),
        RequestRecord(yesterday, "ok", 999.0, 999.0, neurons=100.0, generator="workers-ai"),
    ]
    for r in rows:
        metrics.record(r)
    calls = [CallRecord(now - 60, "chat", neurons=3.0, user="u1"),
             CallRecord(now - 60, "embedding", neurons=0.5, user="u1"),
             CallRecord(now - 20, "embedding", neurons=2.0, user="u2"),  # an ingest
             CallRecord(yesterday, "chat", neurons=100.0, user="u1")]
    for call in calls:
        metrics.record_call(call)
    s = metrics.summary()
    assert s.since == start_of_utc_day(now)
    assert (s.requests, s.errors, s.stopped, s.cache_hits) == (4, 1, 1, 1)
    assert s.error_rate == 25.0
    assert s.avg_latency_ms == 200.0 and s.p95_latency_ms == pytest.approx(290.0)
    assert s.avg_ttft_ms == pytest.approx(70 / 3)
    assert s.cache_hit_rate == 0.5  # of the 2 answered: not the error, not the stopped one
    # every call of today counts (the ingest's embeddings too); yesterday's 100 do not
    assert s.neurons == 5.5 and s.answer_neurons == 3.0
    assert s.neurons_by_kind == {"chat": 3.0, "embedding": 2.5}
    assert s.neurons_by_user == {"u1": 3.5, "u2": 2.0}
    assert s.by_generator == {"workers-ai": 3, "extractive": 1}
    assert metrics.summary(user="u1").requests == 2
    assert metrics.summary(user="u1").neurons == 3.5
    assert metrics.summary(since=0).neurons == 105.5
    buckets = metrics.buckets(hours=24)
    assert len(buckets) == 24 and sum(b.requests for b in buckets) == 5
    assert buckets[-1].requests == 4 and buckets[-1].errors == 1
    assert json.dumps(s.as_json())


def test_metrics_persist_in_sqlite_across_instances(tmp_path: Path) -> None:
    Metrics(tmp_path / "m.sqlite3").record(RequestRecord(1e9, "ok", 10.0))
    assert Metrics(tmp_path / "m.sqlite3").summary(since=0).requests == 1


def test_timed_reports_ok_error_and_stopped() -> None:
    ends = []
    clock = iter([1.0, 3.0]).__next__  # the first token, then the end

    def on_end(*args):
        ends.append(args)

    assert list(timed(iter(["a", "b"]), 0.0, on_end, clock)) == ["a", "b"]
    assert ends[-1] == ("ok", 3000.0, 1000.0, None)  # latency and TTFT in ms

    def broken():
        yield "a"
        raise InputTooLongError("too long")

    with pytest.raises(InputTooLongError):
        list(timed(broken(), 0.0, on_end))
    assert ends[-1][0] == "error" and ends[-1][3] == "too long"

    closed = []

    def endless():
        try:
            while True:
                yield "x"
        finally:
            closed.append(True)

    stream = timed(endless(), 0.0, on_end)
    next(stream)
    stream.close()  # the reader stops early
    assert ends[-1][0] == "stopped" and closed == [True]  # and the source was closed


def test_a_stream_closed_before_its_first_word_still_ends_once() -> None:
    ends, closed = [], []

    def source():
        try:
            yield "never read"
        finally:
            closed.append(True)

    inner = source()
    next(inner)  # a source that has started, so that closing it runs its `finally`
    context = contextvars.copy_context()
    stream = in_scope(context, timed(inner, 0.0, lambda *args: ends.append(args)))
    stream.close()  # the stop button, before anything was drawn
    stream.close()
    assert [end[0] for end in ends] == ["stopped"] and closed == [True]


# --- page images ------------------------------------------------------------------------------

def test_passage_spans_match_words_across_spacing_and_line_breaks() -> None:
    page = "Header\r\nTomatoes  need at least\r\neight hours of direct sunlight each day.\r\nEnd"
    spans = passage_spans(page, SUN)
    assert [page[a:b] for a, b in spans] == [
        "Tomatoes  need at least\r\neight hours of direct sunlight each day"]
    assert passage_spans(page, "nothing like it here at all") == []


def test_a_word_hyphenated_at_a_line_end_is_one_word_where_the_passage_joins_it() -> None:
    """Ingest joins "inspec-" and "tion" into the passage's "inspection", and keeps
    "well-known": the highlight covers both halves of the one, and both words of the other."""
    page = ("Header\r\nThe gate needs inspec-\r\ntion every spring, a well-\r\nknown rule "
            "of the\x02\r\nseason.\r\nEnd")
    passage = "The gate needs inspection every spring, a well-known rule of theseason."
    spans = passage_spans(page, passage)
    assert [page[a:b] for a, b in spans] == [
        "The gate needs inspec-\r\ntion every spring, a well-\r\nknown rule of the\x02\r\n"
        "season"]


def test_render_page_highlights_the_passage() -> None:
    rendered = render_page(greenhouse_pdf(), 2, SUN)
    assert (rendered.page, rendered.pages) == (2, 2) and rendered.highlighted
    image = Image.open(io.BytesIO(rendered.png)).convert("RGB")
    assert image.size == (rendered.width, rendered.height)
    left, top = min(b[0] for b in rendered.boxes), min(b[1] for b in rendered.boxes)
    right, bottom = max(b[2] for b in rendered.boxes), max(b[3] for b in rendered.boxes)
    assert top < 120 and right - left > 250  # two lines near the top of the page
    inside = image.crop((left + 3, top + 3, right - 3, bottom - 3)).getcolors(1 << 16)
    r, g, b = max(inside)[1]  # the commonest colour in the box: the highlight, not the text
    assert r > 200 and g > 180 and b < 180  # yellow, where the page is white elsewhere
    assert image.getpixel((left + 3, bottom + 60)) == (255, 255, 255)
    assert bottom - top < 60  # the passage, not the page
    plain = render_page(greenhouse_pdf(), 1, "words that are not there at all")
    assert not plain.highlighted
    with pytest.raises(ValueError, match="outside the document"):
        render_page(greenhouse_pdf(), 3)


def test_a_page_declared_huge_is_drawn_within_bounds() -> None:
    """A 753-byte PDF may declare a page 200 inches square: drawn at the viewer's scale it
    would take gigabytes."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(greenhouse_pdf())))
    writer.pages[1].mediabox = RectangleObject([0, 0, 14400, 14400])
    huge = io.BytesIO()
    writer.write(huge)
    rendered = render_page(huge.getvalue(), 2, SUN)
    assert max(rendered.width, rendered.height) <= 2400 and rendered.highlighted
    image = Image.open(io.BytesIO(rendered.png))
    assert image.size == (rendered.width, rendered.height)
    page_width = float(PdfReader(io.BytesIO(greenhouse_pdf())).pages[1].mediabox.width)
    assert abs(render_page(greenhouse_pdf(), 2).width - page_width * 1.5) <= 1  # as ever


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_the_passage_is_highlighted_on_a_turned_page_where_its_words_are(rotation: int) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(greenhouse_pdf())))
    writer.pages[1].rotate(rotation)
    turned = io.BytesIO()
    writer.write(turned)
    rendered = render_page(turned.getvalue(), 2, SUN)
    assert rendered.highlighted
    bare = Image.open(io.BytesIO(render_page(turned.getvalue(), 2).png)).convert("L")
    assert bare.size == (rendered.width, rendered.height)
    for box in rendered.boxes:  # each box holds ink: the words, drawn where the page shows them
        assert bare.crop(box).getextrema()[0] < 100, (rotation, box)


def test_the_passage_is_highlighted_on_a_page_whose_boxes_the_page_tree_gives() -> None:
    """fpdf2 writes the page's size on the page tree, not the page, and a crop box may move
    the page's origin: each highlight still holds the words' ink."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, RectangleObject

    for crop in (None, RectangleObject([30, 40, 565, 812])):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(greenhouse_pdf())))
        for page in writer.pages:
            del page[NameObject("/MediaBox")]
            if crop is not None:
                page[NameObject("/CropBox")] = crop
        writer.pages[0][NameObject("/Parent")].get_object()[NameObject("/MediaBox")] = (
            RectangleObject([0, 0, 595, 842]))  # A4, inherited by every page
        inherited = io.BytesIO()
        writer.write(inherited)
        rendered = render_page(inherited.getvalue(), 2, SUN)
        assert rendered.highlighted, crop
        bare = Image.open(io.BytesIO(render_page(inherited.getvalue(), 2).png)).convert("L")
        for box in rendered.boxes:
            assert bare.crop(box).getextrema()[0] < 100, (crop, box)


def test_a_page_with_characters_outside_the_bmp_is_highlighted() -> None:
    """pdfium counts a mathematical italic 𝑛 as two characters, Python as one."""
    pdf = (Path(__file__).parent / "data" / "math_italic_chromium.pdf").read_bytes()
    passage = ("The estimator \U0001D465\u0302 of the mean flow rate is computed from the "
               "\U0001D45B samples taken at the weir each morning.")
    rendered = render_page(pdf, 1, passage)
    assert rendered.highlighted
    bare = Image.open(io.BytesIO(render_page(pdf, 1).png)).convert("L")
    for box in rendered.boxes:
        assert bare.crop(box).getextrema()[0] < 100, box


# --- small pieces -----------------------------------------------------------------------------

def test_rate_limits_count_per_user_in_a_moving_window() -> None:
    limits = RateLimits(2)
    assert limits.admit("a") == 0 and limits.admit("a") == 0
    assert 59 < limits.admit("a") <= 60  # the window's first question leaves it in a minute
    assert limits.admit("b") == 0  # another user
    assert all(RateLimits(0).admit("a") == 0 for _ in range(50))  # 0: no limit


def test_quoted_answers_and_questions_show_as_written_a_models_answer_formatted() -> None:
    parser = MarkdownIt("commonmark")
    text = "# all-MiniLM-L6-v2 maps **sentences** to vectors [1]"
    for message in ({"role": "user", "content": text},
                    {"role": "assistant", "content": text, "generator": "extractive"}):
        html = parser.render(message_markdown(message))
        assert "<h1>" not in html and "<strong>" not in html
        assert "# all-MiniLM-L6-v2 maps **sentences** to vectors [1]" in parser.renderInline(
            message_markdown(message))
    written = parser.render(message_markdown({"role": "assistant", "content": text,
                                              "generator": "workers-ai"}))
    assert "<h1>" in written and "<strong>sentences</strong>" in written


def test_export_is_markdown_with_sources() -> None:
    messages = [
        {"role": "user", "content": "How much sun?"},
        {"role": "assistant", "content": "Eight hours [1].", "generator": "workers-ai",
         "model": "@cf/meta/llama-3.1-8b-instruct", "cached": True, "latency_ms": 1234.0,
         "ttft_ms": 200.0, "notice": None,
         "citations": [{"doc_id": "d", "source": "upload:guide.pdf", "page": 2,
                        "text": "Tomatoes need\neight hours.", "title": "Guide"}]},
    ]
    md = to_markdown(messages)
    assert md.startswith("# Conversation\n")
    assert "**You:** How much sun?" in md
    assert ("**Answer** (workers-ai · @cf/meta/llama-3.1-8b-instruct · from cache · 1.23 s · "
            "first token 0.20 s):") in md
    # the passage's lines as written, which a reader sees run together
    assert "1. Guide, page 2 (guide.pdf)\n   > Tomatoes need\n   > eight hours." in md
    assert answer_meta({"generator": "extractive", "model": "extractive (local)"}) == \
        "extractive (local) · fresh"
    # nothing found: no model was asked, and "none" says nothing to a reader
    assert answer_meta({"generator": "extractive", "model": "none"}) == "extractive · fresh"


def test_the_export_says_which_collection_each_question_was_asked_of() -> None:
    def asked(question: str, collection: str) -> list[dict]:
        return [{"role": "user", "content": question, "collection": collection},
                {"role": "assistant", "content": "Yes [1].", "generator": "extractive",
                 "collection": collection}]

    one = to_markdown(asked("Sun?", "garden") + asked("Rain?", "garden"))
    assert one.count("garden") == 1 and "Asked of the collection garden." in one
    assert "**You:** Sun?" in one and "**You:** Rain?" in one
    two = to_markdown(asked("Sun?", "garden") + asked("Tax?", "tax_2024"))
    assert "Asked of the collection" not in two
    assert "**You (in garden):** Sun?" in two and "**You (in tax\\_2024):** Tax?" in two


def test_an_exported_answer_holds_nothing_a_terminal_obeys() -> None:
    """A model may be led by a document to write a clipboard write or a colour; read with
    `cat`, the file would act on the terminal."""
    answer = ("Two years [1].\x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b[31mRED\x1b[0m "
              "\x1b]8;;http://x.example/\x1b\\link\x1b]8;;\x1b\\ bell\x07 done")
    md = to_markdown([{"role": "user", "content": "How long?"},
                      {"role": "assistant", "content": answer, "generator": "openai"}])
    assert not any(ch in md for ch in "\x1b\x07\x9b\x9d"), md
    assert "RED" in md and "link" in md and "bell\\x07 done" in md


def test_an_answer_keeps_what_was_searched_only_when_it_was_not_the_question() -> None:
    def searched(question: str, query: str) -> str | None:
        answer = Answer(iter(()), [], "extractive", GenerationRecord(), query=query)
        return message_from(answer, question, "An answer [1].")["searched"]

    assert searched("What  is R?\n", "What is R?") is None  # white space tidied, no more
    assert searched("Is it free?", "Is it free? (What is R?)") == "Is it free? (What is R?)"
    # characters read as what they are (the sanitizer's NFKC): no rewording either
    assert searched("熊猫吃什么？", "熊猫吃什么?") is None
    assert searched("How do I ﬁle it?", "How do I file it?") is None


def test_history_store_keeps_a_users_conversation(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.append("user:a@x", [{"role": "user", "content": "hi"}])
    assert HistoryStore(tmp_path / "h.sqlite3").load("user:a@x")[0]["content"] == "hi"
    assert store.load("user:b@x") == []
    store.clear("user:a@x")
    assert store.load("user:a@x") == []


def test_a_breaker_whose_wait_is_over_waits_for_its_probe_not_for_0_s() -> None:
    from rag.providers.http.breaker import OpenBreaker
    from ui.status import breaker_line

    breaker = OpenBreaker("@cf/meta/llama-3.2-1b-instruct", "503 capacity", 1000.0, 1060.0)
    assert breaker_line(breaker, 1030.0) == (
        "@cf/meta/llama-3.2-1b-instruct, probed again in 30 s (503 capacity)")
    assert breaker_line(breaker, 2020.0) == (  # 16 minutes after its wait ended
        "@cf/meta/llama-3.2-1b-instruct, probed by the next question asked of it (503 capacity)")


def test_the_models_offered_are_chat_models_not_the_content_filters() -> None:
    from rag.engine.options import workers_ai_chat_models

    offered = workers_ai_chat_models(load_settings({}, env_file=None))
    assert offered[0] == "@cf/meta/llama-3.1-8b-instruct" and len(offered) > 3
    assert not any("guard" in model for model in offered)


def test_options_default_from_settings_and_apply() -> None:
    settings = load_settings({"RAG_TOP_K": "7", "RAG_SEARCH_MODE": "dense",
                              "RAG_AI_MAX_TOKENS": "300"}, env_file=None)
    opts = AskOptions.defaults(settings)
    assert (opts.generator, opts.model, opts.top_k, opts.search_mode, opts.max_tokens) == \
        ("extractive", None, 7, "dense", 300)
    assert available_generators(settings) == ["extractive"]
    cf = load_settings({"CLOUDFLARE_ACCOUNT_ID": "a", "CLOUDFLARE_API_TOKEN": "t"},
                       env_file=None)
    assert available_generators(cf) == ["extractive", "workers-ai"]
    chosen = AskOptions.defaults(cf).with_generator(cf, "workers-ai")
    applied = replace(chosen, model="@cf/meta/llama-3.2-1b-instruct",
                      fallbacks=("@cf/meta/llama-3.2-1b-instruct", "m2"), top_k=3).apply(cf)
    assert applied.generator == "workers-ai" and applied.top_k == 3
    assert applied.workers_ai_chat_model == "@cf/meta/llama-3.2-1b-instruct"
    assert applied.workers_ai_fallback_models == ["m2"]  # never the model itself


def test_identity_is_the_signed_in_user_or_the_session() -> None:
    from ui.common import identity_from

    anon = identity_from(None, {}, "0123456789abcdef")
    assert anon.id == "anon:0123456789ab" and not anon.signed_in
    assert anon.account == "anonymous"  # the budget, cost and metrics of every such session
    auth = {"client_id": "x"}
    assert identity_from(auth, {"is_logged_in": False}, "s") is None
    user = identity_from(auth, {"is_logged_in": True, "email": "ada@example.org",
                                "name": "Ada"}, "s")
    assert user.id == "user:ada@example.org" and user.label == "Ada" and user.signed_in
    assert user.account == user.id
    # as RAG_EDITORS names them
    assert (user.editor_name, anon.editor_name) == ("ada@example.org", "anonymous")


# --- the engine and the workspace the app's sessions share -----------------------------------

@pytest.fixture
def engine(tmp_path: Path, model_dir: Path, embedder):
    """An engine as the app opens it, with a 1 MB upload limit and the answer cache on."""
    settings = fresh_settings(tmp_path, model_dir, upload_max_mb=1, cache_ttl_seconds=3600)
    engine = Engine.open(settings, embedder=embedder)
    yield engine
    engine.close()


@pytest.fixture
def svc(engine):
    return engine.workspace


def uploaded(engine, uploads: list[Upload], collection: str = "docs") -> list[dict]:
    """What the chat's upload shows: each file's outcome, once the ingest queue has run."""
    job = engine.submit_uploads(collection, uploads, user="u")
    assert engine.jobs.wait(job.id, timeout=120).status == "done", job.error
    return job.report["files"]


def test_an_upload_keeps_the_quotes_the_browser_sent_escaped(engine) -> None:
    results = uploaded(engine, [Upload("The %22quoted%22 notes.txt", b"Giraffes live in Kenya.")])
    assert [(r["path"], r["status"]) for r in results] == [
        ('upload:The "quoted" notes.txt', "ingested")]


def test_an_upload_whose_name_holds_a_control_character_is_refused_as_the_api_refuses_it(
        engine, svc) -> None:
    """A browser sends what was typed: "%0A" and "%1B" decode to a line break and an escape,
    which would become part of the document's name, shown and typed."""
    results = uploaded(engine, [Upload("ctl%0Aline%1B[31m.txt", b"Giraffes live in Kenya."),
                                Upload("plain.txt", b"Zebras live in Botswana.")])
    assert [(r["path"], r["status"], r["error"]) for r in results] == [
        ("upload:ctl\\nline\\x1b[31m.txt", "failed",
         "The file name 'ctl\\nline\\x1b[31m.txt' holds a control character; rename the file."),
        ("upload:plain.txt", "ingested", None)]
    assert [row.name for row in svc.document_rows(None)] == ["plain.txt"]


def test_an_upload_of_a_type_no_loader_reads_is_refused_unread_in_its_place(engine) -> None:
    """The chat's uploader takes files of every type, so that each one picked is reported:
    one no loader reads fails with its reason and is never spooled."""
    results = uploaded(engine, [Upload("tool.exe", None, size=10),
                                Upload("winch.txt", b"The winch takes a 12 mm rope.")])
    assert [(r["path"], r["status"]) for r in results] == [
        ("upload:tool.exe", "failed"), ("upload:winch.txt", "ingested")]
    assert results[0]["error"].startswith("tool.exe: unsupported file type .exe; supported: ")



def test_an_upload_whose_name_hides_its_type_is_told_what_to_rename(engine) -> None:
    results = uploaded(engine, [Upload("trailing.txt ", None, size=10),
                                Upload(".txt", None, size=10),
                                Upload("winch.txt", b"The winch takes a 12 mm rope.")])
    assert [(r["path"], r["status"], r["error"]) for r in results] == [
        ("upload:trailing.txt ", "failed", "trailing.txt : the name ends in a space after its "
                                           "type .txt, so it has none; rename it"),
        ("upload:.txt", "failed", ".txt: the name has nothing before its type .txt, so it has "
                                  "none; rename it"),
        ("upload:winch.txt", "ingested", None)]

def test_an_upload_keeps_its_name_without_the_folder_a_browser_may_send(engine, svc) -> None:
    """As the API's uploads: a folder before the last / or \\ is the sender's machine's."""
    results = uploaded(engine, [Upload("a\\b\\notes.txt", b"Giraffes live in Kenya."),
                                Upload("c/d/plan.txt", b"Zebras live in Botswana.")])
    assert [(r["path"], r["status"]) for r in results] == [
        ("upload:notes.txt", "ingested"), ("upload:plan.txt", "ingested")]
    assert sorted(row.title for row in svc.document_rows(None)) == ["notes", "plan"]


def test_uploads_over_the_limit_are_refused_unread(engine, svc) -> None:
    results = uploaded(engine, [Upload("g.pdf", greenhouse_pdf()),
                                Upload("huge.pdf", None, size=3 * 1024 * 1024)])
    # listed as uploaded, not refused first
    assert [(r["path"], r["status"]) for r in results] == [("upload:g.pdf", "ingested"),
                                                           ("upload:huge.pdf", "failed")]
    assert results[1]["error"] == ("huge.pdf: 3.0 MB is over the 1 MB upload limit "
                                   "(RAG_UPLOAD_MAX_MB)")
    (row,) = svc.document_rows(None)
    assert (row.name, row.title, row.pages, row.media_type) == ("g.pdf", "Greenhouse guide", 2,
                                                               "application/pdf")
    stamp = datetime.fromisoformat(row.ingested_at)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    page, reason = svc.source_page(row.doc_id, row.source, 2, SUN)
    assert reason is None and page.highlighted
    svc.delete_document(None, row.doc_id)
    assert svc.source_page(row.doc_id, row.source, 2, SUN)[0] is None  # the kept copy is gone


def test_an_upload_that_would_fill_the_disk_is_refused_and_the_rest_stored(
        engine, monkeypatch) -> None:
    room = shutil.disk_usage(engine.settings.data_dir)
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda path: room._replace(free=MIN_FREE_BYTES + 64 * 1024))
    results = uploaded(engine, [Upload("notes.txt", b"The key is under the blue pot."),
                                Upload("big.txt", b"Greenhouses, over and over. " * 4096)])
    assert [(r["path"], r["status"]) for r in results] == [("upload:notes.txt", "ingested"),
                                                           ("upload:big.txt", "failed")]
    assert results[1]["error"].startswith("big.txt: not stored: the disk holding the engine's")


def test_an_upload_that_cannot_be_spooled_leaves_no_spool_folder(engine) -> None:
    with pytest.raises(AssertionError, match="broken.pdf was read"):
        engine.submit_uploads("docs", [Upload("g.pdf", greenhouse_pdf()),
                                       Upload("broken.pdf", None, size=10)], user="u")
    assert not any(engine.jobs.spool_root.iterdir())


def test_a_changed_file_on_disk_is_not_drawn(svc, tmp_path: Path) -> None:
    path = tmp_path / "guide.pdf"
    path.write_bytes(greenhouse_pdf())
    svc.service.ingest([path])
    (row,) = svc.document_rows(None)
    assert svc.original_pdf(row.doc_id, row.source)[0] == path.read_bytes()
    path.write_bytes(make_pdf(["Something else entirely."]))
    data, reason = svc.original_pdf(row.doc_id, row.source)
    assert data is None and "has changed since it was ingested" in reason
    assert svc.original_pdf("x", str(tmp_path / "notes.md")) == (None, None)


def test_every_question_is_counted_with_its_outcome(engine, svc) -> None:
    uploaded(engine, [Upload("g.pdf", greenhouse_pdf())])
    service = svc.service
    answer = service.ask("How much sunlight do tomatoes need?", session="s", user="u")
    assert "eight hours" in answer.text
    assert answer.latency_ms > 0 and answer.ttft_ms > 0
    again = service.ask("How much sunlight do tomatoes need?", session="s", user="u")
    assert again.cached and again.text == answer.text
    # too long for the embedder: searched by its words alone, answered, counted as degraded
    long = service.ask("sunlight " * 400, user="u")
    assert long.text and long.degraded == ["sparse_search"]
    assert "matched words only" in long.notice and "at most 256" in long.notice
    stopped = service.ask("Do plants need water?", user="v")
    next(iter(stopped))
    stopped.close()
    s = svc.metrics.summary()
    assert (s.requests, s.errors, s.degraded, s.stopped, s.cache_hits) == (4, 0, 1, 1, 1)
    assert svc.metrics.summary(user="u").requests == 3


def test_views_share_state_and_collections_can_be_managed(engine, svc) -> None:
    small = replace(AskOptions.defaults(svc.settings), top_k=1, search_mode="sparse")
    view = svc.view(None, small)
    assert view is svc.view(None, small)  # cached
    # the strategy goes with each question: every strategy shares the view
    assert svc.view(None, replace(small, strategy="consensus")) is view
    root = svc.service
    assert view.store is root.store and view.metrics is root.metrics
    assert view.settings.top_k == 1 and view.settings.search_mode == "sparse"
    assert view.generator is root.generator  # same generator options: shared

    svc.create_collection("manuals")
    assert svc.collections() == ["docs", "manuals"]
    edge = svc.settings.resolved_qdrant_path / "edge"
    (edge / "manuals.bak").mkdir()  # a copy made by hand: named as no collection can be
    shutil.copy(edge / "manuals" / "collection.json", edge / "manuals.bak")
    assert svc.collections() == ["docs", "manuals"]
    uploaded(engine, [Upload("g.pdf", greenhouse_pdf())], "manuals")
    assert [r.name for r in svc.document_rows("manuals")] == ["g.pdf"]
    assert not svc.document_rows(None)
    with pytest.raises(ConfigError, match="already exists"):
        svc.create_collection("manuals")
    with pytest.raises(ConfigError, match="not a valid collection name"):
        svc.create_collection("../x")
    with pytest.raises(ConfigError, match="cannot be deleted"):
        svc.delete_collection("docs")
    svc.delete_collection("manuals")
    assert svc.collections() == ["docs"]


@pytest.mark.parametrize(("stop", "notice"), [
    ("pressed", "STOPPED"),  # the stop button
    (None, "INTERRUPTED"),  # the page left for another, or reloaded: Streamlit stops alike
    ("earlier", "INTERRUPTED"),  # stop pressed on an earlier run is not about this answer
    ("before a word", "STOPPED_EARLY"),  # nothing of the answer above the notice
    ("left before a word", "INTERRUPTED_EARLY"),
])
def test_stopping_the_stream_keeps_the_partial_answer(engine, svc, monkeypatch,
                                                      stop: str | None, notice: str) -> None:
    """What the chat does when the stop button, another page or a reload ends the script
    mid-answer; only the first is said to be the user's stop."""
    import streamlit as st
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime.app_session import AppSession

    from ui import chat, stops
    from ui.common import Identity

    class Stop(BaseException):  # Streamlit's StopException is a BaseException too
        pass

    class Browser:  # an AppSession as far as a stop request reaches it
        id = "browser-session-1"

        def _handle_stop_script_request(self) -> None:
            pass

        def press_stop(self) -> None:
            AppSession.handle_backmsg(self, BackMsg(stop_script=True))  # type: ignore[arg-type]

    browser = Browser()

    class Placeholder:  # the stop arrives while the first delta is being drawn
        def markdown(self, body: str) -> None:
            if stop == "pressed":
                browser.press_stop()
            raise Stop

    uploaded(engine, [Upload("g.pdf", greenhouse_pdf())])
    stops.install()
    monkeypatch.setattr(stops, "get_script_run_ctx",
                        lambda suppress_warning: SimpleNamespace(session_id=browser.id))
    monkeypatch.setattr(st, "empty", Placeholder)
    monkeypatch.setattr(chat, "session_id", lambda: "s")
    ctx = SimpleNamespace(view=svc.view(), workspace=svc, engine=engine, collection="docs",
                          options=AskOptions.defaults(svc.settings),
                          identity=Identity("anon:s", "anonymous", False))
    if stop == "earlier":
        browser.press_stop()
    if stop in ("before a word", "left before a word"):
        def no_word_yet(answer, parts: list[str]) -> None:
            if stop == "before a word":
                browser.press_stop()
            raise Stop
        monkeypatch.setattr(chat, "write_stream", no_word_yet)
    messages: list[dict] = []
    with pytest.raises(Stop):
        chat.stream_answer(ctx, "How much sunlight do tomatoes need?", [], messages)
    (message,) = messages
    assert message["stopped"] and message["notice"] == getattr(chat, notice)
    assert not stops.asked_to_stop()  # used up
    assert message["content"] in SUN + " [1]"
    assert bool(message["content"]) is ("before a word" not in (stop or ""))
    assert message["citations"] and message["latency_ms"] is not None
    # charged to every anonymous visitor together: a reload must not start a new budget
    assert svc.metrics.summary(user="anonymous").stopped == 1
    assert svc.metrics.summary(user="anon:s").requests == 0


def test_a_quoted_passage_keeps_its_paragraphs_apart() -> None:
    quote = quoted_passage("Fill the kettle\nto the line.\n\n  \nNever immerse the base.\n")
    tokens = MarkdownIt("commonmark").parse(quote)
    paragraphs = [t.content for t in tokens if t.type == "inline"]
    assert [t.type for t in tokens][0] == "blockquote_open"
    assert paragraphs == ["Fill the kettle\nto the line.", "Never immerse the base."]


def test_the_apps_own_words_keep_their_formatting_where_a_quote_is_shown_as_text() -> None:
    found_nothing = {"role": "assistant", "content": NOTHING_FOUND, "generator": "extractive",
                     "model": "none"}
    assert "(`rag ingest PATH`," in message_markdown(found_nothing)
    quote = {**found_nothing, "model": "local:all-MiniLM-L6-v2"}  # a document's own backticks
    assert "(\\`rag ingest PATH\\`," in message_markdown(quote)


def test_the_export_shows_a_refusal_as_the_notice_it_is_not_as_an_answer() -> None:
    refusal = "You have asked 20 questions in the last minute; ask again in 47 s."
    exported = to_markdown([
        {"role": "user", "content": "Anything else?", "rate_limited": True},
        {"role": "assistant", "content": refusal, "rate_limited": True, "error": True}])
    assert f"> {refusal}" in exported.replace("\\", "")
    assert "**Answer**" not in exported and "fresh" not in exported


def test_a_page_that_cannot_be_drawn_is_tried_again_at_the_next_look() -> None:
    tries = []
    drawn = SimpleNamespace(png=b"png", pages=2, highlighted=True)

    def source_page(*args):
        tries.append(args)
        return (None, "/tmp/g.pdf cannot be read here") if len(tries) == 1 else (drawn, None)

    workspace = SimpleNamespace(source_page=source_page)
    with pytest.raises(_PageUnavailable, match="cannot be read here"):
        _page_image(workspace, "doc-page-retry", "/tmp/g.pdf", 2, "passage")
    assert _page_image(workspace, "doc-page-retry", "/tmp/g.pdf", 2, "passage") == (
        b"png", 2, True)  # the file is back: drawn, not the failure remembered
    assert _page_image(workspace, "doc-page-retry", "/tmp/g.pdf", 2, "passage") == (
        b"png", 2, True) and len(tries) == 2  # a drawing is kept


def test_a_fast_long_answer_is_drawn_in_batches_and_whole_at_its_end(monkeypatch) -> None:
    """Each draw parses the whole answer so far: deltas arriving together are drawn
    together, the first at once, and the last draw holds every one of them."""
    import streamlit as st

    from ui import chat

    drawn: list[str] = []

    class Placeholder:
        def markdown(self, body: str) -> None:
            drawn.append(body)

    class Streamed:  # a model writing 2,000 words as fast as they can be read
        generator, record = "workers-ai", SimpleNamespace(model="@cf/meta/llama-3.1-8b-instruct")

        def __iter__(self):
            return iter(f"word{i} " for i in range(2000))

    monkeypatch.setattr(st, "empty", Placeholder)
    parts: list[str] = []
    chat.write_stream(Streamed(), parts)  # type: ignore[arg-type]
    assert len(parts) == 2000
    assert drawn[0].startswith("word0") and drawn[0].endswith(chat.CURSOR)
    assert len(drawn) < 200  # not one a delta
    assert "word1999" in drawn[-1] and not drawn[-1].endswith(chat.CURSOR)
