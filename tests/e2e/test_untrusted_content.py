"""Untrusted text is never active in the browser: documents whose text, title and file name
carry a Markdown image, an <img> with an onerror handler, an iframe, a script and a
`javascript:` link are uploaded, asked about, their sources and pages opened, the documents
page and the Markdown export looked at. A loopback listener that every one of those points at
must receive no request, and no handler may run."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.e2e.conftest import AppServer
from tests.e2e.test_browser import ask, assistant_messages, open_app, sidebar, wait_idle
from tests.pdfgen import make_pdf
from tests.workers_ai_server import TOKEN

pytestmark = pytest.mark.e2e
QUESTION = "How long is the kettle warranty?"
ACTIVE_TOKENS = {"image", "link_open", "html_inline", "html_block"}


class Listener:
    """A loopback HTTP server that records every request it gets."""

    def __init__(self) -> None:
        heard: list[str] = []
        self.heard = heard

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                heard.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    listening = Listener()
    try:
        yield listening
    finally:
        listening.close()


def payloads(url: str, where: str) -> str:
    """Every kind of active content, each pointing at the listener and naming `where`."""
    return (f"![seen]({url}/{where}-markdown-image?q=conversation) "
            f"<img src=\"{url}/{where}-img\" onerror=\"window.__pwned='{where}-img'\"> "
            f"<img src=x onerror=\"fetch('{url}/{where}-onerror')\"> "
            f"<iframe src=\"{url}/{where}-iframe\"></iframe> "
            f"[the warranty card](javascript:window.__pwned='{where}-link') "
            f"<script>window.__pwned='{where}-script'</script> "
            f"{url}/{where}-bare www.{where}.example mail@{where}.example "
            f"_www.{where}-underscore.example/x_ .@{where}-dot.example +@{where}-plus.example "
            ":material/warning: :red[in red] **in bold**")


def poisoned_markdown(url: str) -> bytes:
    return (f"# Kettle care {payloads(url, 'md-title')}\n\n"
            f"The kettle warranty lasts two years {payloads(url, 'md-text')} for every "
            "kettle.\n\n"
            "Descale the kettle every month with white vinegar.\n").encode()


def poisoned_html(url: str) -> bytes:
    title = payloads(url, "html-title").replace("&", "&amp;").replace("<", "&lt;")
    return (f"<html><head><title>Kettle leaflet {title}</title></head><body>"
            f"<p>The kettle warranty is registered online. "
            f"{payloads(url, 'html-text').replace('<', '&lt;')}</p></body></html>").encode()


def poisoned_pdf(url: str) -> bytes:
    return make_pdf(["The kettle warranty card is in the box.",
                     f"Kettle warranty terms: two years {payloads(url, 'pdf-text')} in all."],
                    title=f"Kettle terms {payloads(url, 'pdf-title')}")


def upload(page, name: str, data: bytes, mime: str, shown: str | None = None) -> None:
    """As tests/e2e/test_browser.py uploads, for names the file chip shortens; `shown` is
    how the outcome line writes the name, when not as it is."""
    bar = sidebar(page)
    bar.locator("input[type=file]").set_input_files(
        [{"name": name, "mimeType": mime, "buffer": data}])
    bar.get_by_test_id("stFileChip").filter(has_text=name[:6]).wait_for()
    bar.get_by_role("button", name="Add to library").click()
    bar.get_by_text(re.compile(rf"{re.escape(shown or name)}: (ingested|unchanged)")).wait_for()
    wait_idle(page)


def assert_inert(page, listener: Listener) -> None:
    """Nothing reached the listener, no handler ran, and the page holds no active element."""
    page.wait_for_timeout(500)  # give any stray fetch the time to arrive
    assert listener.heard == []
    assert page.evaluate("window.__pwned") is None
    port = listener.url.rsplit(":", 1)[1]
    assert page.locator(f"img[src*='{port}'], iframe, script[src*='{port}'], "
                        "a[href^='javascript:'], [onerror]").count() == 0
    # no address became a link, no Streamlit code an icon or a colour
    assert page.locator(f"a[href*='{port}'], a[href*='.example'], a[href^='mailto:']"
                        ).count() == 0
    assert page.locator("[data-testid='stMarkdownContainer'] [data-testid='stIconMaterial'], "
                        "[data-testid='stMarkdownContainer'] span[class*='colored']"
                        ).count() == 0


def test_poisoned_documents_stay_text_everywhere(page, app_server: AppServer, listener,
                                                 output_dir: Path) -> None:
    url = listener.url
    open_app(page, app_server)
    name = "kettle<img src=x onerror=window.__pwned=1>.md"
    upload(page, name, poisoned_markdown(url), "text/markdown")
    upload(page, "leaflet.html", poisoned_html(url), "text/html")
    upload(page, "terms.pdf", poisoned_pdf(url), "application/pdf")
    bar = sidebar(page)
    bar.get_by_text("Kettle terms ![seen]", exact=False).first.wait_for()  # the title, as text
    bar.get_by_text(name, exact=False).first.wait_for()
    page.screenshot(path=str(output_dir / "01-sidebar.png"))
    assert_inert(page, listener)

    ask(page, QUESTION)
    answer = assistant_messages(page).last
    answer.get_by_text("two years", exact=False).first.wait_for()
    wait_idle(page)
    shown_answer = answer.inner_text()
    # the answer's image became its alt text on its way out (rag.text.images)
    assert "![seen](" not in shown_answer and "two years seen" in shown_answer
    # an address shows as code, and is copied as written: no invisible character in it
    shown = answer.locator("code", has_text=url).first.inner_text()
    assert shown.startswith(f"{url}/") and "\u2060" not in shown
    answer.get_by_test_id("stExpander").get_by_text("Sources", exact=False).click()
    page.wait_for_timeout(300)
    page.screenshot(path=str(output_dir / "02-answer-and-sources.png"), full_page=True)
    assert_inert(page, listener)

    opens = answer.get_by_role("button", name="Open")
    for i in range(opens.count()):  # every source, the PDF's page viewer among them
        opens.nth(i).click()
        dialog = page.get_by_role("dialog")
        dialog.wait_for()
        wait_idle(page)
        if "terms.pdf" in dialog.inner_text():
            dialog.get_by_role("img").wait_for()  # the app's own page image still shows
            src = dialog.get_by_role("img").get_attribute("src") or ""
            assert src.startswith(("/", app_server.url)) and url not in src
            page.screenshot(path=str(output_dir / "03-page-viewer.png"))
        assert_inert(page, listener)
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")

    with page.expect_download() as download:
        page.get_by_role("button", name="Export Markdown").click()
    exported = Path(download.value.path()).read_text()
    # the targets show as text: an address as inline code, which no renderer links
    assert "two years" in exported and f"`{url}/" in exported
    active = {t.type for block in MarkdownIt("commonmark").parse(exported)
              for t in [block, *(block.children or [])]} & ACTIVE_TOKENS
    assert active == set(), active

    page.get_by_role("link", name="Documents").click()
    page.get_by_test_id("stDataFrame").wait_for()
    wait_idle(page)
    page.screenshot(path=str(output_dir / "04-documents.png"))
    assert_inert(page, listener)
    # no download of the table as CSV, where a title could be a live spreadsheet formula
    page.get_by_test_id("stDataFrame").hover()
    page.get_by_role("button", name="Search").first.wait_for()  # the table's toolbar shows
    assert page.get_by_role("button", name="Download as CSV").count() == 0

    # a collection's name, refused, is shown back as the text it is
    page.get_by_placeholder("e.g. manuals").fill(f"![x]({url}/collection-name) :red[x]")
    page.get_by_role("button", name="Create and switch to it").click()
    page.get_by_text("is not a valid collection name").wait_for()
    assert_inert(page, listener)
    assert TOKEN not in page.content()


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_names_and_character_references_show_as_written(page, app_server: AppServer) -> None:
    """A right-to-left override in a file name would draw "invoice\\u202efdp.txt" as a PDF and
    turn the app's own words after it backwards: it shows as its escape. A character reference
    in a plain-text document or a question shows as typed, not decoded."""
    open_app(page, app_server)
    name, shown = "invoice944\u202efdp.txt", "invoice944\\u202efdp.txt"
    upload(page, name, b"The invoice from AT&amp;T totals 420 euros &amp;amp; tax, written "
                       b"&lt;br&gt; &copy; &#65; in the HTML copy.", "text/plain", shown=shown)
    bar = sidebar(page)
    outcome = bar.get_by_test_id("stAlert").filter(has_text="invoice944")
    assert outcome.inner_text().strip() == f"{shown}: ingested (1 chunk)"
    assert not set(BIDI_CONTROLS) & set(bar.inner_text())

    question = "What does the invoice from AT&amp;T total? Is it &lt;br&gt;?"
    ask(page, question)
    answer = assistant_messages(page).last
    answer.get_by_text("420 euros", exact=False).first.wait_for()
    wait_idle(page)
    asked = page.get_by_test_id("stChatMessage").filter(has_text="What does the invoice").last
    assert question in asked.inner_text()
    assert ("The invoice from AT&amp;T totals 420 euros &amp;amp; tax, written &lt;br&gt; "
            "&copy; &#65; in the HTML copy.") in answer.inner_text()
    answer.get_by_test_id("stExpander").get_by_text("Sources", exact=False).click()
    answer.get_by_text(shown, exact=False).first.wait_for()
    assert not set(BIDI_CONTROLS) & set(page.inner_text("body"))


def test_quoted_code_shows_as_a_program_and_stays_text(page, app_server: AppServer,
                                                       listener) -> None:
    """The offline answer quotes a Markdown document's code block as the program it is,
    line by line in a code block of the chat, and markup inside it is shown, not obeyed."""
    url = listener.url
    open_app(page, app_server)
    descale = f"kettle descale <img src=x onerror=\"fetch('{url}/code')\">"
    document = ("# Kettle app\n\nInstall the kettle app with pip, then descale the kettle:\n\n"
                f"```sh\npip install kettle-app\n\n{descale}\n```\n\n"
                "The app reminds you to descale every month.\n")
    upload(page, "kettle-app.md", document.encode(), "text/markdown")
    ask(page, "How do I install the kettle app?")
    answer = assistant_messages(page).last
    program = answer.locator("pre").first
    program.wait_for()
    wait_idle(page)
    lines = [line for line in program.inner_text().splitlines() if line.strip()]
    assert lines[:2] == ["pip install kettle-app", descale]
    assert "Install the kettle app with pip" in answer.inner_text()
    assert_inert(page, listener)


def test_an_opened_passage_shows_its_code_block_as_code(page, app_server: AppServer,
                                                        listener, output_dir: Path) -> None:
    """"Open [n]" quotes the passage with its code block as a code block, line by line, and
    markup inside it or after its closing fence is shown, not obeyed."""
    url = listener.url
    open_app(page, app_server)
    check = f"make check <img src=x onerror=\"fetch('{url}/dialog-code')\">"
    document = ("# Widgets\n\nTo build the widgets from source, run\n\n"
                f"```sh\nmake install\n{check}\n```\n\n"
                f"which installs them under /usr/local [x](javascript:fetch('{url}/after')).\n")
    upload(page, "widgets-build.md", document.encode(), "text/markdown")
    ask(page, "How do I build the widgets from source?")
    answer = assistant_messages(page).last
    answer.get_by_test_id("stExpander").get_by_text("Sources", exact=False).click()
    wait_idle(page)
    answer.get_by_role("button", name="Open [1]").click()
    dialog = page.get_by_role("dialog")
    program = dialog.locator("blockquote pre code")  # inside the quote
    program.wait_for()
    lines = [line for line in program.inner_text().splitlines() if line.strip()]
    assert lines == ["make install", check]
    quote = dialog.locator("blockquote").inner_text()
    assert "To build the widgets from source, run" in quote and "```" not in quote
    assert "/usr/local [x](javascript:" in quote
    page.screenshot(path=str(output_dir / "dialog-code.png"))
    assert_inert(page, listener)
