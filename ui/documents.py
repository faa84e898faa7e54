"""The Documents page: the current collection's documents as a table (delete the selected
ones), and collections: create, switch to, delete."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from rag.engine.workspace import DocumentRow, Workspace
from rag.errors import RagError
from rag.text.controls import escape_bidi, escaped_controls
from rag.types import counted
from ui.common import READ_ONLY, Context
from ui.conversation import distinct_names
from ui.safe_text import plain


def ingested_label(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def table(rows: list[DocumentRow]) -> dict[str, list]:
    """The table's columns; text from the documents has its bidi controls shown as escapes,
    as `plain` shows them (a cell is not Markdown, but a control there still reorders it)."""
    return {
        # a name two folders hold shows the folders that tell them apart
        "Name": distinct_names([r.source for r in rows]),
        "Title": [escaped_controls(r.title) for r in rows],
        "Pages": [r.pages for r in rows],
        "Chunks": [r.chunks for r in rows],
        "Ingested at": [ingested_label(r.ingested_at) for r in rows],
        "Type": [r.media_type for r in rows],
        **({"Summary": [escape_bidi(r.summary or "") for r in rows],
            "Keywords": [escape_bidi(", ".join(r.keywords)) for r in rows]}
           if any(r.summary or r.keywords for r in rows) else {}),
    }


COUNTS = {"Pages": st.column_config.NumberColumn(format="%d"),
          "Chunks": st.column_config.NumberColumn(format="%d")}


def render(ctx: Context) -> None:
    st.title(f"Documents in “{plain(ctx.collection)}”")
    rows = ctx.workspace.document_rows(ctx.collection)
    editor = ctx.engine.may_edit(ctx.identity.editor_name)
    if not rows:
        st.info("This collection is empty: add files in the sidebar, or run "
                f"`rag ingest PATH --collection {ctx.collection}`." if editor
                else "This collection is empty.")
    elif not editor:
        st.dataframe(table(rows), hide_index=True, placeholder="–", column_config=COUNTS)
        st.caption(f"{counted(len(rows), 'document')}, "
                   f"{counted(sum(r.chunks for r in rows), 'chunk')}. {READ_ONLY}")
    else:
        # a file without pages (text, HTML) shows a dash there, not "None"
        event = st.dataframe(table(rows), hide_index=True, on_select="rerun", placeholder="–",
                             selection_mode="multi-row",
                             # each collection's table ticks its own rows: one key for all
                             # would carry a tick's place over to another collection's row
                             key=f"documents-table-{ctx.collection}-"
                                 f"{st.session_state.get(_DELETIONS, 0)}",
                             column_config=COUNTS)
        chosen = selected_rows(rows, event.selection.rows, ctx.collection)
        st.caption(f"{counted(len(rows), 'document')}, "
                   f"{counted(sum(r.chunks for r in rows), 'chunk')}. Select rows to delete them."
                   + (f" Selected: {', '.join(plain(r.name) for r in chosen)}." if chosen
                      else ""))
        delete_selected(ctx, chosen)
    collections(ctx, editor)


def delete_selected(ctx: Context, chosen: list[DocumentRow]) -> None:
    """Asks first, as the sidebar's delete does: a stray click loses nothing. What is
    deleted is what the question named, even if the rows have moved since it was shown."""
    deletions = st.session_state.get(_DELETIONS, 0)
    # a new key after each deletion, and in each collection: the next question opens closed
    with st.popover(f"Delete selected ({len(chosen)})", disabled=not chosen,
                    icon=":material/delete:", key=f"delete-selected-{ctx.collection}-{deletions}",
                    on_change="rerun"):
        chunks = sum(row.chunks for row in chosen)
        st.caption(f"Delete {counted(len(chosen), 'document')} and "
                   f"{'its' if len(chosen) == 1 else 'their'} {counted(chunks, 'chunk')}?")
        # the ids as the question was drawn: a callback's arguments are those of that run
        st.button("Delete", key="delete-selected", type="primary", on_click=delete_documents,
                  args=(ctx.workspace, ctx.collection, [row.doc_id for row in chosen]))


def delete_documents(workspace: Workspace, collection: str, doc_ids: list[str]) -> None:
    for doc_id in doc_ids:
        workspace.delete_document(collection, doc_id)
    # a new table, with nothing ticked: the old ticks' places now hold other rows
    st.session_state[_DELETIONS] = st.session_state.get(_DELETIONS, 0) + 1
    st.toast(f"Deleted {counted(len(doc_ids), 'document')}.")


def selected_rows(rows: list[DocumentRow], picked: list[int],
                  collection: str) -> list[DocumentRow]:
    """The documents of the rows picked, by their places in the table as it was shown when
    they were picked: the library may have changed since (an upload elsewhere moves every
    row after it), and a place read in today's list would name another document. Only
    places in this collection's table count."""
    shown_in, shown = st.session_state.get(_SHOWN, (None, []))
    st.session_state[_SHOWN] = (collection, [row.doc_id for row in rows])
    if shown_in != collection:
        return []
    ids = {shown[i] for i in picked if i < len(shown)}
    return [row for row in rows if row.doc_id in ids]


# the collection whose table was last shown, and its documents' ids in the order shown
_SHOWN = "_documents_shown"
_DELETIONS = "_documents_deletions"  # part of the table's key: a deletion clears its ticks


def collections(ctx: Context, editor: bool) -> None:
    st.header("Collections")  # under the page's title, a level below it
    names = ctx.workspace.collections()
    st.caption("Each collection is a separate library; pick the one to ask in the sidebar. "
               f"Now: {plain(', '.join(names))}.")
    if not editor:
        return
    new, drop = st.columns(2)
    with new.form("new-collection", clear_on_submit=True, border=True):
        name = st.text_input("New collection", placeholder="e.g. manuals")
        if st.form_submit_button("Create and switch to it"):
            try:
                ctx.workspace.create_collection(name)
            except RagError as exc:
                st.error(plain(exc))
            else:
                st.session_state["_switch_to"] = name.strip()
                st.rerun()
    with drop.form("drop-collection", border=True):
        others = [n for n in names if n != ctx.workspace.settings.collection]
        target = st.selectbox("Delete a collection", others, index=None,
                              placeholder="choose one" if others else "none but the default")
        # a new key after each deletion: the tick that confirmed one cannot confirm the next
        sure = st.checkbox("Yes, delete it and all its documents",
                           key=f"drop-collection-sure-{st.session_state.get(_DROPS, 0)}")
        if st.form_submit_button("Delete collection", disabled=not others):
            if not target or not sure:
                st.warning("Choose a collection and tick the box first.")
            else:
                drop_collection(ctx, target)


def drop_collection(ctx: Context, target: str) -> None:
    try:
        ctx.engine.delete_collection(target)
    except RagError as exc:
        st.error(plain(exc))
        return
    st.session_state[_DROPS] = st.session_state.get(_DROPS, 0) + 1
    if target == ctx.collection:
        st.session_state["_switch_to"] = ctx.workspace.settings.collection
    st.rerun()


_DROPS = "_collections_dropped"  # part of the drop form's tick's key
