"""Sources under an answer, and the source viewer: the quoted passage with its file and place
(page, slide, sheet, chapter, section), and for a PDF or a scanned image the page itself with
the passage highlighted."""

from __future__ import annotations

import streamlit as st

from rag.engine.workspace import Workspace
from rag.text.controls import escaped_controls
from rag.types import cited_place
from ui.conversation import shown_file_name, shown_file_names, source_label
from ui.safe_text import isolated, plain, plain_with_code_line, quoted_with_code

PREVIEW_CHARS = 600
OPENING = "source-to-open"  # the Open button pressed, until its passage is shown
# set while an answer streams, until the page is next drawn whole (`ui.chat`)
REDRAW_PENDING = "redraw-pending"


# a fragment: an Open button pressed while the next answer streams is run once that answer
# ends, where a click anywhere else reruns the whole page and cuts the answer short
@st.fragment
def show_sources(workspace: Workspace, citations: list[dict], key: str,
                 cited: set[int] | None = None) -> None:
    """The "Sources (n)" expander: one line per passage, each with an Open button; the
    passages the answer cites first, then, under a heading of their own, those only retrieved
    (`cited` None: not known, all in order). Each keeps its number: passage [n] is the one
    the answer's [n] means."""
    if not citations:
        return
    names = shown_file_names(citations)
    numbered = list(enumerate(citations, start=1))
    if cited is None or all(n in cited for n, _ in numbered):
        groups = [("", numbered)]
    else:
        groups = [("Cited in the answer:", [(n, c) for n, c in numbered if n in cited]),
                  ("Retrieved, not cited in the answer:",
                   [(n, c) for n, c in numbered if n not in cited])]
    with st.expander(f"Sources ({len(citations)})"):
        for heading, passages in groups:
            if heading and passages:
                st.caption(heading)
            for n, c in passages:
                source_line(workspace, n, c, names[n - 1], key)


def source_line(workspace: Workspace, n: int, c: dict, name: str, key: str) -> None:
    """A passage under its number, label and file `name`, with its Open button."""
    # wide enough for "Open [n]" whole in a window of common width (1400 px)
    text, button = st.columns([4, 1], vertical_alignment="top")
    # the label isolated apart from its number, which leads the line in any direction, and
    # inside the bold: an isolate before its opening ** would leave it unbolded
    text.markdown(f"**[{n}] {isolated(plain(source_label(c)))}** — {isolated(plain(name))}")
    text.caption(preview_of(c["text"]))
    if c.get("flags"):
        text.caption(plain("This passage contains instruction-like text ("
                           + ", ".join(c["flags"]) + "); it was quoted, not obeyed."))
    # numbered, so that a screen reader's list of the page's buttons tells them apart
    opener = f"{key}-open-{n}"
    button.button(f"Open [{n}]", key=opener, icon=":material/open_in_new:",
                  help="Show the passage in its page", on_click=ask_to_open, args=(opener,))
    # a redraw of the whole page still to come would close the dialog as soon as it opened
    if st.session_state.get(OPENING) == opener and REDRAW_PENDING not in st.session_state:
        del st.session_state[OPENING]
        source_dialog(workspace, n, c)


def preview_of(passage: str) -> str:
    """The passage's opening as a caption: its prose as text, each code block as its first
    line of code, and "…" where the passage goes on."""
    shown = plain_with_code_line(passage[:PREVIEW_CHARS])
    # a code block cut short already ends in "…"
    cut = len(passage) > PREVIEW_CHARS and not shown.endswith("…")
    return shown + ("…" if cut else "")


def ask_to_open(opener: str) -> None:
    """Remember which Open button was pressed, until its passage is shown: a press while an
    answer streams is run once the answer has ended, and the page is then redrawn whole
    (`ui.chat.redraw_once_ended`), where the button reads as not pressed."""
    st.session_state[OPENING] = opener


class _PageUnavailable(Exception):
    """The page cannot be drawn now; its reason may name the file."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason


@st.cache_data(max_entries=64, show_spinner="Drawing the page…")
def _page_image(_workspace: Workspace, doc_id: str, source: str, page: int,
                passage: str) -> tuple[bytes, int, bool]:
    """The page's PNG, its document's page count and whether the passage is highlighted.
    A failure is raised, so it is not cached for every tab: the file may be back by the next
    look."""
    rendered, reason = _workspace.source_page(doc_id, source, page, passage)
    if rendered is None:
        raise _PageUnavailable(reason)
    return rendered.png, rendered.pages, rendered.highlighted


def quoted_passage(text: str) -> str:
    """The passage as a Markdown quote: its prose as text, its code blocks as code."""
    return quoted_with_code(text)


@st.dialog("Source", width="large")
def source_dialog(workspace: Workspace, n: int, c: dict) -> None:
    st.markdown(f"**{plain(f'[{n}] {source_label(c)}')}**")
    place = cited_place(c.get("page"), c.get("locator"), c.get("title"))
    origin = ("uploaded in the app" if c["source"].startswith("upload:")
              else escaped_controls(c["source"]))
    st.caption(plain(f"{place + ' of ' if place else ''}{shown_file_name(c['source'])} "
                     f"({origin})"))
    st.markdown(quoted_passage(c["text"]))
    if not workspace.holds(c["doc_id"]):  # a page image may still be in the cache
        st.info("This document has changed since this answer: the passage above is what the "
                "answer quoted; ask again for the new version."
                if workspace.holds_source(c["source"]) else
                "This document has been deleted from the library: the passage above is what "
                "the answer quoted.")
        return
    if not c.get("page"):
        return
    try:
        png, pages, highlighted = _page_image(workspace, c["doc_id"], c["source"],
                                              int(c["page"]), c["text"])
    except _PageUnavailable as unavailable:
        if unavailable.reason:  # it may name the file
            st.info(plain(unavailable.reason))
        return
    note = ("the cited passage is highlighted" if highlighted
            else "the passage could not be located on the page image")
    st.image(png, caption=f"Page {c['page']} of {pages}: {note}", output_format="PNG")
