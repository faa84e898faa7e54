"""The app in a real browser: upload, list, ask, stream, cite, open the source, stop, status,
delete. Each test saves screenshots of the screens it visits (see conftest.py)."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request
from starlette.responses import HTMLResponse

from tests.e2e.conftest import ROOT, AppServer
from tests.pdfgen import make_pdf
from tests.workers_ai_server import TOKEN, answering

pytestmark = pytest.mark.e2e

QUESTION = "How much sunlight do tomatoes need?"
ANSWER_SENTENCE = "Tomatoes need at least eight hours of direct sunlight each day."
README_SHOT = ROOT / "docs" / "screenshots" / "chat.png"


GUIDE_PAGE_1 = """\
A small greenhouse extends the growing season by several months.
Place it where it gets sun from the south and shelter from the wind.
Open the vents on warm mornings and close them again in the evening.
Keep the temperature between 18 and 27 degrees Celsius during the day.
Below 10 degrees at night most seedlings stop growing.
Water the soil, not the leaves, to keep fungal diseases away.
Use rain water when you can; tap water is fine if left to stand overnight.
A layer of mulch keeps the soil moist and cool in summer.
Clean the glass in autumn so that winter light reaches the plants.
Disinfect pots and trays before sowing the next crop.
Sow lettuce and radish early in spring, as soon as the soil warms up.
Peppers and aubergines need a long, warm season and a sunny spot.
Cucumbers climb: give them strings or a trellis to grow along.
Basil grows well beside tomatoes and keeps whiteflies away.
Check the undersides of leaves every week for aphids and spider mites.
Yellow sticky traps catch whiteflies before they spread.
Ventilate well on humid days to prevent grey mould.
Feed fruiting plants every two weeks once the first flowers open.
Remove dead leaves promptly; they harbour pests and disease.
Keep a notebook of sowing dates, varieties and harvests for next year."""
GUIDE_PAGE_2 = """\
Tomatoes need at least eight hours of direct sunlight each day.
Plant them deep: roots grow along the buried stem.
Pinch out the side shoots of cordon varieties every week.
Water them in the morning, not at night, and water evenly to avoid split fruit.
Pick the fruit when it is fully coloured and slightly soft."""


def greenhouse_pdf() -> bytes:
    """Two pages of a small guide; the answer to QUESTION is on page 2."""
    return make_pdf([GUIDE_PAGE_1, GUIDE_PAGE_2], title="Greenhouse guide")


def open_app(page, server: AppServer, path: str = "") -> None:
    page.goto(f"{server.url}/{path}")
    page.get_by_test_id("stChatInput").or_(page.get_by_test_id("stDataFrame")).or_(
        page.get_by_text("Requests")).first.wait_for()
    wait_idle(page)


def wait_idle(page, timeout: float = 30) -> None:
    """Until the script run has finished (Streamlit shows a status widget while running)."""
    deadline = time.monotonic() + timeout
    page.wait_for_timeout(150)
    while page.get_by_test_id("stStatusWidget").count():
        if time.monotonic() > deadline:
            raise AssertionError("the app kept running")
        page.wait_for_timeout(100)


def metric_tiles(page, until, timeout: float = 15) -> dict[str, str]:
    """The Status page's tiles as {label: value}, read again until `until(tiles)` holds or the
    timeout passes: a rerun may still be replacing the page's elements when they are first read."""
    deadline = time.monotonic() + timeout
    while True:
        metrics = page.get_by_test_id("stMetric")
        tiles = {}
        for i in range(metrics.count()):
            try:
                tile = metrics.nth(i)
                tiles[tile.get_by_test_id("stMetricLabel").inner_text(timeout=1000).strip()] = \
                    tile.get_by_test_id("stMetricValue").inner_text(timeout=1000).strip()
            except PlaywrightTimeout:
                break  # the element went away mid-read: read them all again
        if until(tiles) or time.monotonic() > deadline:
            return tiles
        page.wait_for_timeout(200)


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def upload(page, name: str, data: bytes, mime: str) -> None:
    bar = sidebar(page)
    bar.locator("input[type=file]").set_input_files(
        [{"name": name, "mimeType": mime, "buffer": data}])
    bar.get_by_test_id("stFileChip").filter(has_text=name).wait_for()
    bar.get_by_role("button", name="Add to library").click()
    bar.get_by_text(re.compile(rf"{re.escape(name)}: (ingested|unchanged)")).wait_for()
    wait_idle(page)


def ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")


def assistant_messages(page):
    return page.get_by_test_id("stChatMessage").filter(
        has=page.get_by_test_id("stChatMessageAvatarAssistant"))


def test_upload_ask_open_the_cited_page_and_delete(page, app_server: AppServer,
                                                   output_dir: Path) -> None:
    open_app(page, app_server)
    # each page is named by its one top-level heading, below the sidebar's
    page.get_by_role("heading", level=1, name="Ask your documents").wait_for()
    page.screenshot(path=str(output_dir / "01-empty.png"))

    upload(page, "greenhouse.pdf", greenhouse_pdf(), "application/pdf")
    bar = sidebar(page)
    bar.get_by_text("greenhouse.pdf: ingested").wait_for()
    # listed, by its PDF title, as the button that asks whether to delete it
    bar.get_by_role("button", name="delete icon Greenhouse guide", exact=True).wait_for()
    page.screenshot(path=str(output_dir / "02-uploaded.png"))

    ask(page, QUESTION)
    answer = assistant_messages(page).last
    answer.get_by_text(re.compile(re.escape(ANSWER_SENTENCE) + r" \[1\]")).wait_for()
    wait_idle(page)
    meta = answer.get_by_text(re.compile(r"^extractive \(.*\) · fresh · \d+\.\d\d s"))
    meta.wait_for()
    answer.get_by_test_id("stExpander").get_by_text(re.compile(r"Sources \(\d\)")).click()
    answer.get_by_text("[1] Greenhouse guide, page 2").wait_for()
    page.wait_for_timeout(300)  # the expander's animation
    question = page.get_by_test_id("stChatMessage").filter(has_text=QUESTION).last
    question.evaluate("element => element.scrollIntoView({block: 'center'})")  # answer in view
    page.screenshot(path=str(output_dir / "03-answer.png"))
    if os.environ.get("E2E_UPDATE_README_SCREENSHOT") == "1":  # refresh README's picture
        shutil.copyfile(output_dir / "03-answer.png", README_SHOT)

    answer.get_by_role("button", name="Open").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("page 2 of").wait_for()
    dialog.get_by_text(ANSWER_SENTENCE).first.wait_for()  # the quoted passage
    image = dialog.get_by_role("img")
    image.wait_for()
    dialog.get_by_text("Page 2 of 2: the cited passage is highlighted").wait_for()
    page.screenshot(path=str(output_dir / "04-source.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    page.get_by_role("link", name="Documents").click()
    table = page.get_by_test_id("stDataFrame")
    table.wait_for()
    wait_idle(page)
    assert page.get_by_role("heading", level=1).all_inner_texts() == [
        "Documents in “docs”"]
    page.get_by_role("heading", level=2, name="Collections").wait_for()  # no level skipped
    page.screenshot(path=str(output_dir / "05-documents.png"))

    assert TOKEN not in page.content()
    bar.get_by_test_id("stPopover").filter(visible=True).first.click()  # asks first
    page.get_by_role("button", name="Delete", exact=True).click()
    bar.get_by_text("No documents yet").wait_for()
    page.get_by_text("This collection is empty").wait_for()


KETTLE = "Descale the kettle every month with white vinegar."
PRIMARY = "@cf/meta/llama-3.1-8b-instruct"
PRESSED_STOP = "Stopped: the answer above is what had arrived when you pressed stop."
STOPPED_BEFORE_A_WORD = "Stopped before the answer began: you pressed stop."
INTERRUPTED_BEFORE_A_WORD = ("Interrupted before the answer began (the page left or reloaded, "
                             "another control used, or stop pressed).")


def choose_generator(page, label: str) -> None:
    choose_setting(page, "Generator", label)


def choose_setting(page, name: str, label: str) -> None:
    """Choose `label` in the answer settings' select box `name`."""
    bar = sidebar(page)
    settings = bar.get_by_test_id("stExpander").filter(has_text="Answer settings")
    box = settings.get_by_test_id("stSelectbox").filter(has_text=name)
    wait_idle(page)
    if not box.is_visible():
        settings.get_by_text("Answer settings").click()
    box.wait_for()
    option = page.get_by_role("option", name=label)
    for _ in range(4):  # on a busy machine a click can land while the script reruns
        box.click()
        try:
            option.wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
    option.click()
    wait_idle(page)


def first_token_shown(page, server: AppServer, full: str) -> str:
    """Wait until the stand-in is holding after its first token and the page shows it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = assistant_messages(page).last.inner_text() if assistant_messages(page).count() \
            else ""
        if server.standin.hold_state == "holding" and text.strip():
            return text
        page.wait_for_timeout(50)
    raise AssertionError(f"no first token on the page (stand-in: {server.standin.hold_state!r})")


def anonymous_requests(server: AppServer) -> int:
    """Today's questions charged to the visitors who have not signed in."""
    from rag.app.metrics import Metrics

    metrics = Metrics(server.data_dir / "metrics.sqlite3")
    try:
        return metrics.summary(user="anonymous").requests
    finally:
        metrics.close()


def test_answers_stream_can_be_stopped_and_are_counted(page, app_server: AppServer, standin,
                                                       output_dir: Path) -> None:
    asked_before = anonymous_requests(app_server)  # the app server is the module's
    open_app(page, app_server)
    upload(page, "kettle.md", f"# Kettle manual\n\n{KETTLE} Never immerse the base in "
                              f"water.\n".encode(), "text/markdown")
    choose_generator(page, "Workers AI")
    page.get_by_text(f"workers-ai ({PRIMARY})").wait_for()  # the chat's header says so

    hold = standin.hold_after_first_token()
    ask(page, "How often should I descale the kettle?")
    partial = first_token_shown(page, app_server, KETTLE)
    assert KETTLE not in partial  # the first token is on screen, the rest is still to come
    page.screenshot(path=str(output_dir / "01-streaming.png"))
    hold.set()
    answer = assistant_messages(page).last
    answer.locator("p").filter(has_text=re.compile(re.escape(KETTLE) + r".*\[1\]")).wait_for()
    wait_idle(page)
    answer.get_by_text(re.compile(rf"^workers-ai · {re.escape(PRIMARY)} · fresh · ")).wait_for()
    page.screenshot(path=str(output_dir / "02-streamed.png"))

    # stop: an answer held after its first token is stopped from the chat input's stop button
    page.get_by_role("button", name="Clear chat").click()  # no history: no follow-up rewrite
    assistant_messages(page).first.wait_for(state="detached")
    wait_idle(page)
    hold = standin.hold_after_first_token()
    ask(page, "What must never be immersed in water?")
    first_token_shown(page, app_server, "")
    stop_button = page.get_by_test_id("stChatInputStopButton")
    assert_named_as_documented(stop_button)
    stop_button.click()
    stop_button.wait_for(state="detached")
    hold.set()
    # shown without another click: the notice, and the answer without its cursor
    stopped = assistant_messages(page).last
    stopped.get_by_text(PRESSED_STOP).wait_for()
    assert "▌" not in stopped.inner_text()
    wait_idle(page)

    page.get_by_role("link", name="Status").click()
    page.get_by_text("Requests per hour").wait_for()
    wait_idle(page)
    # every visitor who has not signed in is one account: theirs before, and these two
    expected = str(asked_before + 2)
    tiles = metric_tiles(page, until=lambda t: t.get("Your requests") == expected)
    assert tiles["Your requests"] == expected, tiles
    assert float(tiles["Neurons today"].replace(",", "")) > 0, tiles
    assert tiles["Time to first token"].endswith(" s"), tiles
    page.get_by_test_id("stVegaLiteChart").or_(page.get_by_test_id("stArrowVegaLiteChart")) \
        .first.wait_for()
    page.screenshot(path=str(output_dir / "03-status.png"), full_page=True)

    page.get_by_role("link", name="Chat").click()
    stopped = assistant_messages(page).last
    stopped.get_by_text(PRESSED_STOP).wait_for()
    assert "Never immerse" not in stopped.inner_text()  # the rest never arrived
    page.screenshot(path=str(output_dir / "04-stopped.png"))
    assert TOKEN not in page.content()


def assert_named_as_documented(stop_button) -> None:
    """What a screen reader calls the stop button is Streamlit's to choose (no option of the
    chat input sets it): the accessibility notes say it, and stay right across upgrades."""
    name = stop_button.get_attribute("aria-label")
    notes = " ".join((ROOT / "docs" / "usage.md").read_text(encoding="utf-8").split())
    assert f'a screen reader names it "{name}"' in notes, name


def test_a_source_opened_while_an_answer_streams_opens_once_it_has_ended(
        page, app_server: AppServer, standin, output_dir: Path) -> None:
    """The Open button of an earlier answer's source, pressed mid-answer, neither cuts the
    answer short nor is lost: the passage opens once the answer has ended."""
    before = stopped_answers(app_server)
    open_app(page, app_server)
    # a kettle manual of its own: the module's other tests' answers are in the cache
    upload(page, "kettle-care.md", f"# Kettle care\n\n{KETTLE} Never immerse the base in "
                                   f"water. Wipe the lid weekly.\n".encode(), "text/markdown")
    choose_generator(page, "Workers AI")
    page.get_by_text(f"workers-ai ({PRIMARY})").wait_for()
    ask(page, "How often should I descale the kettle?")
    first = assistant_messages(page).first  # stays the first when the second comes
    first.get_by_text(re.compile(rf"^workers-ai · {re.escape(PRIMARY)} · fresh · ")).wait_for()
    wait_idle(page)
    first.get_by_test_id("stExpander").get_by_text(re.compile(r"Sources \(\d\)")).click()
    opener = first.get_by_role("button", name="Open [1]")
    opener.wait_for()

    hold = standin.hold_after_first_token()
    ask(page, "What must never be immersed in water?")
    first_token_shown(page, app_server, "")
    opener.click()
    page.wait_for_timeout(1000)  # time for a rerun the click would start to cut the answer
    assert page.get_by_role("dialog").count() == 0  # not while the answer streams
    hold.set()
    second = assistant_messages(page).last
    second.locator("p").filter(has_text=re.compile(r"Never immerse the base in water.*\[1\]")
                               ).wait_for()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(KETTLE).first.wait_for()  # the passage, opened once the answer ended
    page.screenshot(path=str(output_dir / "01-opened-after-the-answer.png"))
    assert "Interrupted" not in second.inner_text()
    assert stopped_answers(app_server) == before


def stopped_answers(server: AppServer) -> float:
    families = text_string_to_metric_families(httpx.get(f"{server.url}/metrics").text)
    return sum(sample.value for family in families for sample in family.samples
               if sample.name == "rag_answers_total" and sample.labels["outcome"] == "stopped")


def asked_of_a_slow_failing_model(page, app_server: AppServer, standin, failing: str) -> None:
    """A question asked of `failing`, which is slow to answer and then fails, once its
    first call has begun."""
    open_app(page, app_server)
    upload(page, "kettle.md", f"# Kettle manual\n\n{KETTLE}\n".encode(), "text/markdown")
    choose_generator(page, "Workers AI")
    choose_setting(page, "Model", failing)
    page.get_by_text(f"workers-ai ({failing})").wait_for()
    standin.model_latency[failing] = 2.0
    standin.fail(503, times=None, model=failing)
    ask(page, "How often should I descale the kettle?")
    deadline = time.monotonic() + 20
    while not standin.requests_to("run") and time.monotonic() < deadline:
        time.sleep(0.05)


def test_stop_before_the_first_word_asks_the_failing_model_nothing_more(
        page, app_server: AppServer, standin) -> None:
    """The model is slow to say anything, then fails; the user presses stop meanwhile. The
    model is not retried for nobody, and the question is kept as stopped. (Another model than
    the other tests': its failure opens its circuit breaker.)"""
    failing = "@cf/meta/llama-3.1-8b-instruct-awq"
    asked_of_a_slow_failing_model(page, app_server, standin, failing)
    page.get_by_test_id("stChatInputStopButton").click()
    assistant_messages(page).last.get_by_text(STOPPED_BEFORE_A_WORD).wait_for()
    time.sleep(3)  # the model's failure has come, and a retry would have followed it
    assert [r.model for r in standin.requests_to("run")] == [failing]


def test_a_tab_reloaded_before_the_first_word_asks_the_failing_model_nothing_more(
        page, app_server: AppServer, standin) -> None:
    """As a press of stop does, a reload abandons an answer whose model has said nothing yet:
    the failing model is neither retried nor followed by a fallback for nobody. (A model of
    its own: its failure opens its circuit breaker.)"""
    failing = "@cf/meta/llama-3.1-8b-instruct-fp8-fast"
    before = stopped_answers(app_server)
    asked_of_a_slow_failing_model(page, app_server, standin, failing)
    page.reload()
    page.get_by_test_id("stChatInput").wait_for()
    deadline = time.monotonic() + 20
    while stopped_answers(app_server) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stopped_answers(app_server) == before + 1
    time.sleep(3)  # the model's failure has come, and a retry would have followed it
    assert [r.model for r in standin.requests_to("run")] == [failing]


def test_an_answer_left_mid_stream_is_not_said_to_be_stopped_by_the_user(
        page, app_server: AppServer, standin, output_dir: Path) -> None:
    """Another page chosen mid-answer ends the run as the stop button does (Streamlit stops
    it alike); the partial answer kept does not say the user pressed stop."""
    open_app(page, app_server)
    upload(page, "kettle.md", f"# Kettle manual\n\n{KETTLE} Never immerse the base in "
                              f"water.\n".encode(), "text/markdown")
    choose_generator(page, "Workers AI")
    page.get_by_text(f"workers-ai ({PRIMARY})").wait_for()
    before = stopped_answers(app_server)
    hold = standin.hold_after_first_token()
    ask(page, "What must never be immersed in water?")
    first_token_shown(page, app_server, "")
    page.get_by_role("link", name="Status").click()
    page.get_by_text("Requests per hour").wait_for()
    hold.set()  # the next token's draw ends the chat's run
    deadline = time.monotonic() + 20
    while stopped_answers(app_server) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    wait_idle(page)
    page.get_by_role("link", name="Chat").click()
    left = assistant_messages(page).last
    left.get_by_text("Interrupted: the answer above is what had arrived when it stopped "
                     "(the page left or reloaded, another control used, or stop "
                     "pressed).").wait_for()
    assert "pressed stop" not in left.inner_text()
    page.screenshot(path=str(output_dir / "01-left-mid-answer.png"))


@pytest.mark.parametrize("leave", ["stop", "another page"])
def test_stop_while_a_follow_up_is_rewritten_asks_the_model_nothing_more(
        page, app_server: AppServer, standin, output_dir: Path, leave: str) -> None:
    """A follow-up is first rewritten by the model into a question that stands alone; stop
    pressed meanwhile (or another page opened) ends that call at once, asks for no answer,
    and counts the question as stopped; what is kept says which it was."""
    open_app(page, app_server)
    upload(page, "kettle.md", f"# Kettle manual\n\n{KETTLE}\n".encode(), "text/markdown")
    choose_generator(page, "Workers AI")
    page.get_by_text(f"workers-ai ({PRIMARY})").wait_for()
    ask(page, "How often should I descale the kettle?")
    # the answer's sentence, with its citation: its source's quote says the same words, and
    # the source's row ends on its button's "Open [1]", so the paragraph is looked for
    assistant_messages(page).last.locator("p").filter(
        has_text=re.compile(re.escape(KETTLE) + r".*\[1\]")).wait_for()
    wait_idle(page)
    before = stopped_answers(app_server)
    standin.reset()
    hold = standin.hold_after_first_token()  # the next call is the rewrite's
    ask(page, "And with hard water?")
    deadline = time.monotonic() + 20
    while standin.hold_state != "holding" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert standin.hold_state == "holding"
    if leave == "stop":
        page.get_by_test_id("stChatInputStopButton").click()
        assistant_messages(page).last.get_by_text(STOPPED_BEFORE_A_WORD).wait_for()
    else:
        page.get_by_role("link", name="Documents").click()
        page.get_by_test_id("stDataFrame").wait_for()
        page.get_by_role("link", name="Chat").click()
        assistant_messages(page).last.get_by_text(INTERRUPTED_BEFORE_A_WORD).wait_for()
        assert not page.get_by_text(STOPPED_BEFORE_A_WORD).count()
    hold.set()
    deadline = time.monotonic() + 20
    while stopped_answers(app_server) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stopped_answers(app_server) == before + 1
    (rewrite,) = standin.requests_to("run")  # and no answer was asked for
    assert "Standalone question:" in rewrite.body["messages"][-1]["content"]
    page.screenshot(path=str(output_dir / f"01-{leave.replace(' ', '-')}-during-rewrite.png"))


def test_a_tab_reloaded_mid_answer_stops_its_model(page, app_server: AppServer,
                                                   standin) -> None:
    """A reloaded tab's run stops at its next draw, and with it the model's stream: it is
    not read to its end for nobody (a model's tokens cost)."""
    open_app(page, app_server)
    upload(page, "kettle.md", f"# Kettle manual\n\n{KETTLE} Never immerse the base in "
                              f"water.\n".encode(), "text/markdown")
    choose_generator(page, "Workers AI")
    page.get_by_text(f"workers-ai ({PRIMARY})").wait_for()
    before = stopped_answers(app_server)
    hold = standin.hold_after_first_token()
    ask(page, "What must never be immersed in water?")
    first_token_shown(page, app_server, "")
    page.reload()
    page.get_by_test_id("stChatInput").wait_for()
    hold.set()
    deadline = time.monotonic() + 20
    while stopped_answers(app_server) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stopped_answers(app_server) == before + 1


def test_the_openapi_page_draws_without_the_internet(page, app_server: AppServer,
                                                     output_dir: Path) -> None:
    elsewhere: list[str] = []

    def only_the_app(route) -> None:  # a machine without the internet
        if route.request.url.startswith(app_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_app)
    page.goto(f"{app_server.url}/api/docs")
    page.get_by_text("/v1/chat/completions").first.wait_for()
    page.get_by_text("/v1/ask").first.wait_for()
    page.screenshot(path=str(output_dir / "openapi.png"))
    assert elsewhere == []
    assert "422" not in page.content()  # validation errors are 400 here


def test_only_the_apps_own_pages_may_frame_the_chat_and_the_openapi_page(
        page, app_server: AppServer, output_dir: Path) -> None:
    """A page of another origin framing the chat could lay its own buttons over its Delete
    (clickjacking): the browser leaves such frames empty. A page of the app's own origin
    still frames the chat, which connects and draws there."""
    framing = (f'<iframe id="chat" src="{app_server.url}/" width="1200" height="700"></iframe>'
               f'<iframe id="docs" src="{app_server.url}/api/docs"></iframe>')

    async def framing_page(request: Request) -> HTMLResponse:
        return HTMLResponse(framing)

    # served, not fulfilled by Playwright: the browser takes a page it did not fetch from
    # this machine for a public site's, and keeps it from framing a loopback address
    # whatever the headers say
    with answering(framing_page, methods=("GET",)) as elsewhere:
        page.goto(f"{elsewhere}/", wait_until="load")
        assert [frame.url for frame in page.frames[1:]] == ["chrome-error://chromewebdata/"] * 2
    own = f"{app_server.url}/framing-page.html"
    page.route(own, lambda route: route.fulfill(content_type="text/html", body=framing))
    page.goto(own)
    page.frame_locator("#chat").get_by_test_id("stChatInput").wait_for()
    page.frame_locator("#docs").get_by_text("/v1/ask").first.wait_for()
    page.screenshot(path=str(output_dir / "framed-by-its-own-page.png"))


def test_the_document_list_keeps_its_delete_button_on_the_title_line_on_a_phone(
        page, app_server: AppServer, output_dir: Path) -> None:
    open_app(page, app_server)
    upload(page, "phone-notes.md", b"# Phone notes\n\nThe sidebar fits a narrow screen.\n",
           "text/markdown")
    page.set_viewport_size({"width": 390, "height": 844})
    open_app(page, app_server)
    page.get_by_test_id("stExpandSidebarButton").click()  # a phone starts it collapsed
    button = sidebar(page).get_by_role("button", name="delete icon Phone notes", exact=True)
    button.wait_for()
    page.wait_for_timeout(500)  # the sidebar's slide-in animation
    button.scroll_into_view_if_needed()
    caption = sidebar(page).get_by_text(re.compile(r"^phone-notes\.md · 1 chunk$"))
    button_box, caption_box = button.bounding_box(), caption.bounding_box()
    page.screenshot(path=str(output_dir / "phone-sidebar.png"))
    assert button_box["height"] < 2 * caption_box["height"]  # one line, the icon beside it
    assert button_box["y"] + button_box["height"] <= caption_box["y"] + 1  # the caption under it

    button.click()
    page.get_by_role("button", name="Delete", exact=True).click()
    button.wait_for(state="detached")


def test_delete_selected_deletes_the_document_ticked_after_the_library_changed(
        page, app_server: AppServer, output_dir: Path) -> None:
    """A document added elsewhere moves the rows below it: the one ticked is deleted, not
    the one now in its place."""
    api = f"{app_server.url}/api/v1"

    def sources() -> list[str]:
        return [d["source"] for d in httpx.get(f"{api}/documents").json()["documents"]]

    for name in ("m-ticked.txt", "n-kept.txt"):
        httpx.post(f"{api}/documents", timeout=60, files=[
            ("files", (name, f"{name} holds one line about lighthouses.".encode()))])
    open_app(page, app_server, "documents")
    before = sources()
    table = page.get_by_test_id("stDataFrame")
    box = table.bounding_box()
    row = before.index("upload:m-ticked.txt")  # the table lists them in the API's order
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17 + 35 * row)  # its row's tick box
    button = page.get_by_role("button", name="Delete selected (1)")
    button.wait_for()
    wait_idle(page)
    httpx.post(f"{api}/documents", timeout=60, files=[
        ("files", ("a-added.txt", b"An added note on harbours."))])  # sorts above it
    button.click()
    page.get_by_text("Delete 1 document and its 1 chunk?").wait_for()
    page.get_by_role("button", name="Delete", exact=True).click()
    deadline = time.monotonic() + 20
    while len(sources()) > len(before) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.screenshot(path=str(output_dir / "delete-selected.png"), full_page=True)
    assert set(sources()) == {*before, "upload:a-added.txt"} - {"upload:m-ticked.txt"}
    # nothing stays ticked: the old tick's place now holds another document
    page.get_by_role("button", name="Delete selected (0)").wait_for()


def test_a_tick_in_one_collection_deletes_nothing_in_another(
        page, app_server: AppServer, output_dir: Path) -> None:
    """Each collection's table ticks its own rows: a tick's place carried over to another
    collection would delete a document nobody picked there."""
    api = f"{app_server.url}/api/v1"

    def sources(collection: str) -> list[str]:
        listed = httpx.get(f"{api}/documents", params={"collection": collection}).json()
        return [d["source"] for d in listed["documents"]]

    assert httpx.post(f"{api}/collections", json={"name": "elsewhere"}).status_code == 201
    for collection, name in (("docs", "ticked-here.txt"), ("elsewhere", "kept-there.txt")):
        httpx.post(f"{api}/documents", params={"collection": collection}, timeout=60,
                   files=[("files", (name, f"{name} is a note on tides.".encode()))])
    open_app(page, app_server, "documents")
    table = page.get_by_test_id("stDataFrame")
    box = table.bounding_box()
    row = sources("docs").index("upload:ticked-here.txt")
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17 + 35 * row)
    page.get_by_role("button", name="Delete selected (1)").wait_for()
    wait_idle(page)

    sidebar(page).get_by_test_id("stSelectbox").filter(has_text="Collection").click()
    page.get_by_role("option", name="elsewhere", exact=True).click()
    wait_idle(page)
    page.get_by_text("Documents in “elsewhere”").wait_for()
    sidebar(page).get_by_text("Answer settings").click()  # any rerun
    wait_idle(page)
    page.screenshot(path=str(output_dir / "tick-in-another-collection.png"), full_page=True)
    page.get_by_role("button", name="Delete selected (0)").wait_for()
    assert sources("elsewhere") == ["upload:kept-there.txt"]
    assert "upload:ticked-here.txt" in sources("docs")


def test_a_deleted_document_leaves_no_delete_question_open_for_the_next(
        page, app_server: AppServer, output_dir: Path) -> None:
    """The row below moves into the deleted one's place: its Delete must not be one click
    away."""
    api = f"{app_server.url}/api/v1"
    for name in ("aardvark-1.txt", "aardvark-2.txt", "aardvark-3.txt"):
        httpx.post(f"{api}/documents", timeout=60, files=[
            ("files", (name, f"{name} is about aardvarks.".encode()))])
    open_app(page, app_server)
    asks = sidebar(page).get_by_role("button", name="delete icon aardvark-2", exact=True)
    asks.click()
    page.get_by_text("Delete aardvark-2.txt and its 1 chunk?").wait_for()
    page.get_by_role("button", name="Delete", exact=True).click()
    asks.wait_for(state="detached")
    wait_idle(page)
    page.screenshot(path=str(output_dir / "after-delete.png"))
    assert page.get_by_role("button", name="Delete", exact=True).count() == 0
    assert page.get_by_text("Delete aardvark-3.txt").count() == 0
    sources = [d["source"] for d in httpx.get(f"{api}/documents").json()["documents"]]
    assert {"upload:aardvark-1.txt", "upload:aardvark-3.txt"} <= set(sources)


def test_the_same_file_can_be_picked_again_for_another_collection(
        page, app_server: AppServer, tmp_path: Path) -> None:
    """A browser tells a page of a file picked only when the pick changes its file input: the
    input kept the last file's name after an upload, and the same file picked again, from
    the same place on disk, went unseen."""
    api = f"{app_server.url}/api/v1"
    assert httpx.post(f"{api}/collections", json={"name": "workshop"}).status_code == 201
    note = tmp_path / "hours.txt"
    note.write_text("The workshop opens at seven on weekdays and at nine on Saturdays.\n")
    open_app(page, app_server)
    bar = sidebar(page)
    for turn, collection in enumerate(("docs", "workshop", "workshop")):
        if turn == 1:
            bar.get_by_test_id("stSelectbox").filter(has_text="Collection").click()
            page.get_by_role("option", name=collection, exact=True).click()
            wait_idle(page)
        bar.locator("input[type=file]").set_input_files(str(note))
        bar.get_by_test_id("stFileChip").filter(has_text="hours.txt").wait_for(timeout=10_000)
        bar.get_by_role("button", name="Add to library").click()
        wait_idle(page)
        listed = httpx.get(f"{api}/documents", params={"collection": collection}).json()
        assert "upload:hours.txt" in [d["source"] for d in listed["documents"]], collection
    bar.get_by_text("hours.txt: unchanged").wait_for()  # picked a third time, and read


def test_an_upload_followed_at_once_by_a_question_is_shown_to_its_end(
        page, app_server: AppServer) -> None:
    """The question's click ends the upload's run where it next touches the session: the
    ingest it had started must be shown all the same, its progress and then its outcome."""
    open_app(page, app_server)
    lines = "".join(f"Line {n} of the long note says the kettle holds {n} cups.\n"
                    for n in range(3000))
    bar = sidebar(page)
    bar.locator("input[type=file]").set_input_files(
        [{"name": "long-note.txt", "mimeType": "text/plain", "buffer": lines.encode()}])
    bar.get_by_test_id("stFileChip").filter(has_text="long-note.txt").wait_for()
    bar.get_by_role("button", name="Add to library").click()
    page.wait_for_timeout(300)
    ask(page, "How many cups does the kettle hold?")
    bar.get_by_text(re.compile(r"long-note\.txt: ingested")).wait_for(timeout=120_000)


def test_each_sidebar_delete_button_is_named_after_its_document(
        page, app_server: AppServer, output_dir: Path) -> None:
    """A screen reader reads each button by its name: one named after its icon alone, in
    every row, would not say which document it deletes."""
    api = f"{app_server.url}/api/v1"
    for name in ("quince-jam.txt", "quince-paste.txt"):
        httpx.post(f"{api}/documents", timeout=60, files=[
            ("files", (name, f"{name} tells how to cook quinces.".encode()))])
    open_app(page, app_server)
    bar = sidebar(page)
    for title in ("quince-jam", "quince-paste"):
        bar.get_by_role("button", name=f"delete icon {title}", exact=True).wait_for()
    page.screenshot(path=str(output_dir / "named-delete-buttons.png"))
    assert bar.get_by_role("button", name="delete icon", exact=True).count() == 0
    bar.get_by_role("button", name="delete icon quince-jam", exact=True).click()
    page.get_by_text("Delete quince-jam.txt and its 1 chunk?").wait_for()


def test_delete_selected_asks_first_how_many_documents_and_chunks(
        page, app_server: AppServer, output_dir: Path) -> None:
    """As the sidebar's delete and the collection's: one stray click deletes nothing."""
    api = f"{app_server.url}/api/v1"

    def sources() -> list[str]:
        return [d["source"] for d in httpx.get(f"{api}/documents").json()["documents"]]

    ticked = ["upload:0-olive-grove.txt", "upload:0-olive-press.txt"]
    for source in ticked:
        name = source.removeprefix("upload:")
        httpx.post(f"{api}/documents", timeout=60, files=[
            ("files", (name, f"{name} is a note on olives and their oil.".encode()))])
    open_app(page, app_server, "documents")
    box = page.get_by_test_id("stDataFrame").bounding_box()
    for count, source in enumerate(ticked, start=1):
        row = sources().index(source)
        page.mouse.click(box["x"] + 16, box["y"] + 35 + 17 + 35 * row)
        page.get_by_role("button", name=f"Delete selected ({count})").wait_for()
        wait_idle(page)
    page.get_by_role("button", name="Delete selected (2)").click()
    page.get_by_text("Delete 2 documents and their 2 chunks?").wait_for()
    wait_idle(page)
    page.screenshot(path=str(output_dir / "delete-selected-asks.png"))
    assert set(ticked) <= set(sources())  # asked, nothing deleted yet
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete selected (0)").wait_for()
    assert not set(ticked) & set(sources())


def test_a_file_of_a_type_no_loader_reads_is_in_the_upload_report(
        page, app_server: AppServer, output_dir: Path) -> None:
    """The browser's uploader would drop it before sending it: the report must still name
    every file picked."""
    open_app(page, app_server)
    bar = sidebar(page)
    bar.locator("input[type=file]").set_input_files([
        {"name": "winch-tool.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90"},
        {"name": "winch-rope.txt", "mimeType": "text/plain",
         "buffer": b"The winch on the quay takes a 12 mm rope."}])
    for name in ("winch-tool.exe", "winch-rope.txt"):
        bar.get_by_test_id("stFileChip").filter(has_text=name).wait_for()
    bar.get_by_role("button", name="Add to library").click()
    bar.get_by_text("winch-rope.txt: ingested").wait_for()
    bar.get_by_text("winch-tool.exe: failed (unsupported file type .exe; supported: ").wait_for()
    bar.get_by_text("1 ingested, 1 failed").wait_for()
    page.screenshot(path=str(output_dir / "refused-type-reported.png"), full_page=True)
