"""What users and documents control is shown as the text it is, on every screen of the app
(AppTest): file names with bidi controls, character references in a document or a question,
the model name typed in the settings, the signed-in user's name. (tests/test_safe_text.py
checks ui.safe_text itself; tests/e2e/test_untrusted_content.py the same in Chromium.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page, upload
from tests.pdfgen import make_pdf
from tests.test_safe_text import PARSER, active, directive_colons, visible
from ui.common import get_engine
from ui.conversation import to_markdown

RLO = "\u202e"
INVOICE = f"invoice944{RLO}fdp.txt"  # drawn as "invoice944txt.pdf" if the control is obeyed
INVOICE_SHOWN = "invoice944\\u202efdp.txt"
ENTITIES = "In HTML you write a line break as &lt;br&gt; and the firm AT&amp;T as AT&amp;amp;T."


@pytest.fixture
def app(env, monkeypatch: pytest.MonkeyPatch):
    def run(**variables: str) -> AppTest:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return open_page()

    yield run
    st.cache_resource.clear()


def markdown_of(block) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "success", "warning", "info", "error")
            for e in getattr(block, kind)]


def test_a_right_to_left_title_and_file_name_are_set_apart(app) -> None:
    """Side by side, an Arabic title and an Arabic file name run into one right-to-left run
    and are drawn swapped: each is isolated, after its number; a Latin one is left as it is."""
    at = app()
    upload(at, [("دليل.md", "# الأردن\n\nتقع مدينة العقبة على البحر الأحمر.\n".encode(),
                 "text/markdown"),
                ("kettle.txt", b"Descale the kettle monthly.", "text/plain")])
    answer = at.chat_input[0].set_value("أين تقع مدينة العقبة؟").run().chat_message[-1]
    assert not at.exception
    (sources,) = answer.expander
    lines = [visible(value) for value in markdown_of(sources) if " — " in value]
    assert any(re.fullmatch(r"\[\d\] \u2068الأردن\u2069 — \u2068دليل\.md\u2069", line)
               for line in lines), lines
    assert any(re.fullmatch(r"\[\d\] kettle — kettle\.txt", line) for line in lines), lines


def test_a_file_names_bidi_controls_show_as_escapes_everywhere(app) -> None:
    at = app()
    upload(at, [(INVOICE, b"The invoice total is 420 euros, due in March.", "text/plain"),
                (f"kettle {RLO}gnp.txt", b"Descale the kettle monthly.", "text/plain")])
    sidebar = markdown_of(at.sidebar)
    assert not any(RLO in value for value in sidebar)
    assert f"{INVOICE_SHOWN}: ingested (1 chunk)" in map(visible, at.sidebar.success.values)
    assert sum(INVOICE_SHOWN in visible(value) for value in sidebar) >= 2  # outcome and list

    answer = at.chat_input[0].set_value("What is the invoice total?").run().chat_message[-1]
    assert not at.exception
    (sources,) = answer.expander
    lines = [visible(value) for value in markdown_of(sources)]
    assert any(line.endswith(f"— {INVOICE_SHOWN}") for line in lines), lines
    assert not any(RLO in value for value in markdown_of(sources))

    at.switch_page("views/documents.py").run()
    names = list(at.dataframe[0].value["Name"])
    assert sorted(names) == [INVOICE_SHOWN, "kettle \\u202egnp.txt"]


def test_a_line_break_in_a_file_name_fakes_no_line(app) -> None:
    """A name holding "\n" shows it as its escape: a real break would put the rest of the
    name on a line of its own, as if it were another file's outcome."""
    forged = "x\nforged.pdf: ingested (99 chunks)\ny.txt"
    at = app()
    upload(at, [(forged, b"Tea is steeped for three minutes.", "text/plain")])
    refused = list(map(visible, markdown_of(at.sidebar)))
    assert any("x\\nforged.pdf: ingested (99 chunks)\\ny.txt" in value
               and "holds a control character" in value for value in refused), refused
    assert not any("\n" in value for value in refused if "forged.pdf" in value)
    # the chat refuses such a name, as the API does; the `rag` command stores the names files
    # have on its machine, whatever they are
    get_engine().workspace.service.ingest_bytes(
        forged, b"Tea is steeped for three minutes.", f"upload:{forged}")
    at.run()
    listed = [visible(value) for value in markdown_of(at.sidebar) if "forged.pdf" in value]
    assert listed and not any("\n" in value for value in listed)
    answer = at.chat_input[0].set_value("How long is tea steeped?").run().chat_message[-1]
    assert not at.exception
    (sources,) = answer.expander
    cited = [visible(value) for value in markdown_of(sources) if "forged.pdf" in value]
    assert cited and not any("\n" in line for line in cited), cited
    exported = to_markdown(at.session_state["messages"])
    assert "(x\\nforged.pdf: ingested (99 chunks)\\ny.txt)" in exported.replace("\\\\", "\\")
    at.switch_page("views/documents.py").run()
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["x\\nforged.pdf: ingested (99 chunks)\\ny.txt"]
    assert not any("\n" in title for title in table["Title"])


def test_character_references_show_as_written(app) -> None:
    at = app()
    upload(at, [("entities.txt", ENTITIES.encode(), "text/plain")])
    question = "How do you write a line break? Is it &lt;br&gt; or &#60;br&#62;?"
    answer = at.chat_input[0].set_value(question).run().chat_message[-1]
    assert not at.exception
    (asked,) = at.chat_message[-2].markdown
    assert visible(asked.value) == question
    assert ENTITIES in visible(answer.markdown[0].value)


def test_the_model_name_typed_in_the_settings_is_text_in_the_header(app) -> None:
    at = app(OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    at.sidebar.selectbox(key="opt_generator").set_value("openai").run()
    model = "stub ![m]({}) :red[RED] **bold** &amp;"
    listener = "http://127.0.0.1:9/model-img"
    at.sidebar.text_input(key="opt_model_openai").set_value(model.format(listener)).run()
    assert not at.exception
    (header,) = [c.value for c in at.main.caption if "search · top" in c.value]
    assert active(header) == set() and directive_colons(header) == []
    # as typed; the address as inline code, which no renderer links
    assert f"openai ({model.format(f'`{listener}`')}) · " in visible(header)


def test_the_signed_in_name_is_text() -> None:
    def footer() -> None:
        from ui.common import Identity
        from ui.sidebar import identity_footer

        identity_footer(Identity("user:eve@example.com",
                                 "**Eve** ![i](http://127.0.0.1:9/i) :red[x]", True))

    at = AppTest.from_function(footer).run()
    (caption,) = at.sidebar.caption
    assert active(caption.value) == set() and directive_colons(caption.value) == []
    assert visible(caption.value) == ("Signed in as **Eve** ![i](`http://127.0.0.1:9/i`) "
                                      ":red[x]")


def test_why_a_page_is_not_drawn_names_its_file_as_text(app, tmp_path: Path) -> None:
    folder = tmp_path / "**notes** ![x](http:127.0.0.1:9) :red[r]"
    folder.mkdir()
    path = folder / "guide.pdf"
    path.write_bytes(make_pdf(["Tomatoes need at least eight hours of direct sunlight."]))
    at = app()
    at.session_state["_ctx"].workspace.service.ingest([path])
    answer = at.chat_input[0].set_value("How much sunlight do tomatoes need?").run() \
        .chat_message[-1]
    path.write_bytes(make_pdf(["Something else entirely."]))  # no longer the page cited
    next(b for b in answer.expander[0].button if b.key.endswith("-open-1")).click().run()
    assert not at.exception
    (why,) = at.info
    assert active(why.value) == set() and directive_colons(why.value) == []
    assert visible(why.value) == f"{path} has changed since it was ingested; ingest it again."


WIDGETS = ("# Widgets\n\nTo build the widgets from source, run\n\n```sh\nmake install\n"
           "make check\n```\n\nwhich installs them under /usr/local.\n\n```\n"
           "[x](javascript:alert(1)) **not bold**\n")


def test_a_passages_code_block_opens_as_code_and_nothing_after_it_is_active(app) -> None:
    """"Open [n]" quotes the passage with its code block as code, on its lines; a fence the
    passage leaves open holds what follows it as code, not as Markdown."""
    at = app()
    upload(at, [("widgets.md", WIDGETS.encode(), "text/markdown")])
    answer = at.chat_input[0].set_value("How do I build the widgets?").run().chat_message[-1]
    assert not at.exception
    next(b for b in answer.expander[0].button if b.key.endswith("-open-1")).click().run()
    assert not at.exception
    (quote,) = [m.value for m in at.markdown if m.value.startswith(">")]
    tokens = PARSER.parse(quote)
    assert [t.content for t in tokens if t.type == "fence"] == [
        "make install\nmake check\n", "[x](javascript:alert(1)) **not bold**\n"]
    assert all(t.level > 0 for t in tokens if t.type == "fence")  # inside the quote
    assert "To build the widgets from source, run" in visible(quote)
    assert active(quote) == set()


def test_a_passages_preview_shows_each_code_block_as_its_first_line_of_code(app) -> None:
    """Under "Sources (n)", a passage's one-line preview shows no fences: each code block is
    its first line as inline code, "…" for the lines left out; nothing in it is active."""
    at = app()
    upload(at, [("widgets.md", WIDGETS.encode(), "text/markdown")])
    answer = at.chat_input[0].set_value("How do I build the widgets?").run().chat_message[-1]
    assert not at.exception
    (preview,) = [c.value for c in answer.expander[0].caption if "Widgets" in c.value]
    assert visible(preview) == ("# Widgets\nTo build the widgets from source, run\n"
                                "`make install` …\nwhich installs them under /usr/local.\n"
                                "`[x](javascript:alert(1)) **not bold**`")
    assert active(preview) == set() and directive_colons(preview) == []
