"""The sidebar: the collection, the upload form with per-file outcomes, the document list,
the answer settings and who is signed in. Its first button is the upload form's submit."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ingest.loaders import format_names
from rag.engine.engine import Engine
from rag.engine.jobs import IngestJob
from rag.engine.options import AskOptions, available_generators, workers_ai_chat_models
from rag.engine.workspace import DocumentRow, Workspace
from rag.errors import RagError
from rag.settings import ANSWER_STRATEGIES, Settings
from rag.text.controls import escaped_controls
from rag.types import SEARCH_MODES, counted
from ui.common import READ_ONLY, REROUTED, Context, Identity
from ui.conversation import distinct_names
from ui.safe_text import plain

CHOSEN = "chosen_settings"  # the models and fallbacks as last chosen, by box (`remember`)
OUTCOME_STYLE = {"ingested": "success", "unchanged": "info", "failed": "error"}
# each row is a dozen elements drawn on every run of the page (every question): a library
# of thousands would cost seconds a question; the Documents page lists them all
SIDEBAR_DOCUMENTS = 20
QUICK_INGEST_SECONDS = 1.5  # a small upload's outcome shows at once, a big one's progress
STRATEGY_HELP = ("single: one model (with its fallbacks). progressive: a fast model first, the "
                 "chosen model when its answer is weak. consensus: several models at once, the "
                 "answer they agree on (costs every model's neurons).")
GENERATOR_LABELS = {"extractive": "Extractive (quotes, no LLM)", "workers-ai": "Workers AI",
                    "openai": "OpenAI-compatible server"}
EXTRACTIVE = ("Extractive mode quotes the best-matching sentences from your documents; no "
              "language model writes anything.")
# what makes each generator with written answers available: settings read at start-up only
GENERATOR_SETUP = {"workers-ai": "`RAG_GENERATOR=workers-ai` with `CLOUDFLARE_ACCOUNT_ID` and "
                                 "`CLOUDFLARE_API_TOKEN`",
                   "openai": "`RAG_GENERATOR=openai` with `OPENAI_BASE_URL` (Ollama, vLLM, "
                             "llama.cpp)"}


def render(engine: Engine, identity: Identity) -> Context:
    bar = st.sidebar
    workspace = engine.workspace
    settings = workspace.settings
    collection = collection_picker(workspace)
    options = answer_options(settings)  # read before the view is built; drawn further down
    try:
        view = workspace.view(collection, options)
    except RagError as exc:  # the answer settings chosen (a model's window), or the collection
        options = AskOptions.defaults(settings)
        try:
            view = workspace.view(collection, options)
            bar.error(plain(f"The answer settings below cannot be used, so the defaults "
                            f"answer meanwhile: {exc}"))
        except RagError:  # the collection itself (one of another embedder)
            bar.error(plain(f"{exc} Questions and uploads go to the collection "
                            f"{settings.collection} meanwhile."))
            collection = settings.collection
            view = workspace.view(collection)
    editor = engine.may_edit(identity.editor_name)
    if editor:
        upload_form(engine, collection, identity)
    else:
        bar.caption(READ_ONLY)
    document_list(workspace, collection, editor)
    settings_panel(settings, options)
    identity_footer(identity)
    return Context(engine, workspace, view, identity, collection, options)


def collection_picker(workspace: Workspace) -> str:
    names = workspace.collections()
    if "_switch_to" in st.session_state:  # set by the Documents page (create, delete)
        st.session_state["collection"] = st.session_state.pop("_switch_to")
    chosen = st.session_state.get("collection")
    if chosen not in names:
        if chosen is not None:  # deleted through another door: say so before a question goes
            said = f"The collection {chosen} was deleted; questions now go to {names[0]}."
            st.warning(plain(said), icon=":material/warning:")
            # and with the next answer, which it concerns, unless another is chosen first
            st.session_state[REROUTED] = (said, names[0])
        st.session_state["collection"] = names[0]
    st.sidebar.header("Documents")
    picked = st.sidebar.selectbox("Collection", names, key="collection",
                                  help="Questions search this collection; manage collections "
                                       "on the Documents page.")
    if st.session_state.get(REROUTED, (None, picked))[1] != picked:
        del st.session_state[REROUTED]
    return picked


def upload_form(engine: Engine, collection: str, identity: Identity) -> None:
    """Uploads go to the engine's ingest queue: the chat stays usable while they are read,
    and their progress shows here, file by file and within a file."""
    limit = engine.settings.upload_max_mb
    # a new uploader after each upload: the browser tells of a pick only when it changes the
    # file input, and a cleared uploader keeps the last file's name in its input, so the
    # same file picked again (for another collection) went unseen
    uploads = st.session_state.get(_UPLOADS_SENT, 0)
    with st.sidebar.form("upload", clear_on_submit=True):
        # every type and size taken (up to Streamlit's own bound, server.maxUploadSize, past
        # which no loader reads a file): the uploader drops a file it refuses before sending
        # it, so the outcomes could not name it; the engine refuses it, with its reason
        files = st.file_uploader(f"Add documents (up to {limit} MB each): "
                                 f"{', '.join(format_names())}",
                                 accept_multiple_files=True, key=f"upload-files-{uploads}")
        submitted = st.form_submit_button("Add to library")
    shown_for = st.session_state.get(_UPLOAD_FOR, collection)
    st.session_state[_UPLOAD_FOR] = collection
    if submitted and files and shown_for != collection:
        # deleted through another door meanwhile: the files were meant for it, not this one
        st.sidebar.error(plain(f"The collection {shown_for} was deleted before these files "
                               f"were added: none was stored. Add them again to "
                               f"{collection}, or choose another collection."))
    elif submitted and files:
        # session state touched before the ingest starts: a click meanwhile ends this run at
        # the next touch, and an ingest it had started would then go unshown
        shown = st.session_state.setdefault(INGEST_JOBS, [])
        st.session_state[_UPLOADS_SENT] = uploads + 1
        job = engine.submit_uploads(collection, files, user=identity.account)
        # the uploads still running stay shown (their progress, their Cancel), with this one
        shown[:] = [*(earlier for earlier in shown if running(engine, earlier)), job.id]
        job.done.wait(QUICK_INGEST_SECONDS)  # small files: their outcomes at once
        st.rerun()  # to draw the new uploader, and the outcomes below it
    jobs = [job for job in map(engine.jobs.get, st.session_state.get(INGEST_JOBS, [])) if job]
    with st.sidebar:
        if any(not job.done.is_set() for job in jobs):
            st.fragment(ingest_progress, run_every=1.0)(engine, [job.id for job in jobs])
        for job in jobs:
            show_outcomes(job, collection)


_UPLOAD_FOR = "_upload_for"  # the collection the upload form was last shown for
_UPLOADS_SENT = "_uploads_sent"  # names the uploader afresh after each upload
INGEST_JOBS = "ingest_jobs"  # the ids of the session's uploads shown in the sidebar


def running(engine: Engine, job_id: str) -> bool:
    job = engine.jobs.get(job_id)
    return job is not None and not job.done.is_set()


def ingest_progress(engine: Engine, job_ids: list[str]) -> None:
    """Redrawn every second while the user's ingests run; the whole page once they end."""
    jobs = [job for job in map(engine.jobs.get, job_ids) if job]
    if all(job.done.is_set() for job in jobs):
        st.rerun(scope="app")
    for job in jobs:
        share, text = job_progress(job, engine.jobs.ahead_of(job.id))
        st.progress(share, text=plain(text))
        if not job.cancel.is_set():
            # a callback: it runs before this redraw, which then says the cancel is under way
            st.button("Cancel", key=f"cancel-{job.id}", icon=":material/cancel:",
                      type="tertiary", on_click=engine.jobs.cancel, args=(job.id,),
                      help="Stop this upload: files already stored stay, the rest are not read")


def job_progress(job: IngestJob, ahead: list[IngestJob]) -> tuple[float, str]:
    """How far an unfinished ingest is, as a share and as words: the file being read or
    embedded, what it waits for, or that it is being cancelled."""
    states = job.states
    finished = sum(state.status in OUTCOME_STYLE for state in states)
    current = next((s for s in states if s.status not in OUTCOME_STYLE), None)
    share = finished / max(len(states), 1)
    text = f"{finished} of {counted(len(states), 'file')}"
    reading = None  # the file being read, before its chunks are known
    if current is not None and current.chunks:
        share += current.chunks_written / current.chunks / max(len(states), 1)
        pages = f", {counted(current.pages, 'page')}" if current.pages else ""
        text += (f" · {escaped_controls(current.name)}: {current.chunks_written:,} of "
                 f"{counted(current.chunks, 'chunk')}{pages}")
    elif job.status != "queued" and current is not None:
        reading = escaped_controls(current.name)
    if job.cancel.is_set():
        text += cancelling_words(reading)
    elif job.status == "queued":
        text += waiting_words(ahead)
    elif reading is not None:
        text += f" · reading {reading}"
    return min(share, 1.0), text


def cancelling_words(reading: str | None) -> str:
    """The engine stops at the next page it reads or batch it writes: a file read in one
    piece (a text file) is read to its end first."""
    if reading is None:
        return " · cancelling: stops in a moment"
    return f" · cancelling: stops at the latest once {reading} has been read"


def waiting_words(ahead: list[IngestJob]) -> str:
    if not ahead:
        return " · waiting"
    text = f" · waiting for {counted(len(ahead), 'ingest')} ahead"
    cancelling = sum(other.cancel.is_set() for other in ahead)
    if cancelling:
        text += " (being cancelled)" if len(ahead) == 1 else f" ({cancelling} being cancelled)"
    return text


def show_outcomes(job: IngestJob, shown_collection: str) -> None:
    """The job's outcome, file by file; a job of another collection than the one shown names
    its own, where the files went."""
    if not job.done.is_set():
        return
    if job.status != "done":
        st.error(plain(job.error or "The ingest did not finish."))
        return
    results = job.report["files"] if job.report else []
    counts = {s: sum(r["status"] == s for r in results) for s in OUTCOME_STYLE}
    summary = ", ".join(f"{n:,} {s}" for s, n in counts.items() if n)
    if job.collection != shown_collection:
        summary += f", in the collection {job.collection}"
    st.progress(1.0, text=plain(summary))
    for result in results:
        # a name's line break would fake an outcome line of its own
        name = escaped_controls(result["path"].removeprefix("upload:"))
        # a reason names the file already, and an upload by the name the user gave it
        detail = (result["error"] or counted(result["chunks"], "chunk")).replace(
            "upload:", "").removeprefix(f"{name}: ")
        getattr(st, OUTCOME_STYLE[result["status"]])(
            plain(f"{name}: {result['status']} ({detail})"))
        for warning in result.get("warnings") or []:
            st.warning(plain(f"{name}: {warning}"))


def document_list(workspace: Workspace, collection: str, editor: bool) -> None:
    docs = workspace.document_rows(collection)
    if not docs:
        st.sidebar.info("No documents yet: add some above or run `rag ingest PATH`." if editor
                        else "No documents yet.")
    names = dict(zip((d.doc_id for d in docs), distinct_names([d.source for d in docs]),
                     strict=True))
    shown = latest(docs, SIDEBAR_DOCUMENTS)
    if len(shown) < len(docs):
        st.sidebar.caption(f"The {len(shown)} added last of {counted(len(docs), 'document')}; "
                           "every one is on the Documents page.")
    for doc in shown:
        row = st.sidebar.container(gap=None)
        pages = f"{counted(doc.pages, 'page')} · " if doc.pages else ""
        name = names[doc.doc_id]
        # titles and file names come from the documents: shown as text, never as HTML
        title = plain(escaped_controls(doc.title) or name)
        if editor:
            delete_button(workspace, collection, doc, name, title, row)
        else:
            row.markdown(f"**{title}**")
        row.caption(plain(f"{name} · {pages}{counted(doc.chunks, 'chunk')}"))


def delete_button(workspace: Workspace, collection: str, doc: DocumentRow, name: str,
                  title: str, row: DeltaGenerator) -> None:
    """The row's title as the button that asks whether to delete the document: a button of
    the icon alone would be named "delete icon" in every row, as a popover's label cannot be
    hidden; this one is named "delete icon" and the title (`title`, escaped Markdown). A click
    opens the question, a second one deletes: a stray click loses nothing."""
    # the icon as a Markdown icon, not the popover's own: that one is left out of the name.
    # One line (a long title is cut, in full in the tooltip), so the caption stays under it.
    # The key ties it to the document, so the row moving into a deleted one's place opens
    # closed
    with row.popover(f":material/delete: **{title}**", type="tertiary", wrap=False,
                     help=f"Delete {title} ({plain(name)})", key=f"confirm-delete-{doc.doc_id}",
                     on_change="rerun"):
        st.caption(plain(f"Delete {name} and its {counted(doc.chunks, 'chunk')}?"))
        if st.button("Delete", key=f"delete-{doc.doc_id}", type="primary"):
            workspace.delete_document(collection, doc.doc_id)
            st.rerun()


def latest(docs: list[DocumentRow], most: int) -> list[DocumentRow]:
    """The `most` documents ingested last, in the list's order."""
    if len(docs) <= most:
        return docs
    kept = {d.doc_id for d in sorted(docs, key=lambda d: d.ingested_at or "",
                                     reverse=True)[:most]}
    return [d for d in docs if d.doc_id in kept]


def answer_options(settings: Settings) -> AskOptions:
    """The options chosen in the settings panel (its widgets' state), defaults from settings."""
    defaults = AskOptions.defaults(settings)
    state = st.session_state
    generators = available_generators(settings)
    generator = state.get("opt_generator", defaults.generator)
    if generator not in generators:
        generator = defaults.generator
    options = defaults.with_generator(settings, generator)
    model = chosen(f"opt_model_{generator}") if generator != "extractive" else None
    fallbacks = chosen("opt_fallbacks")
    if fallbacks is None:
        fallbacks = list(defaults.fallbacks)
    return AskOptions(generator=generator, model=model or options.model,
                      fallbacks=tuple(fallbacks) if generator == "workers-ai" else (),
                      search_mode=state.get("opt_search_mode", defaults.search_mode),
                      top_k=int(state.get("opt_top_k", defaults.top_k)),
                      max_tokens=int(state.get("opt_max_tokens", defaults.max_tokens)),
                      strategy=state.get("opt_strategy", defaults.strategy)
                      if generator != "extractive" else "single")


def remember(key: str) -> None:
    """Keep what was just chosen in the box `key` apart from it: Streamlit forgets a box's
    value while it is not drawn (a model's, the fallbacks', while another generator is
    chosen)."""
    st.session_state[CHOSEN] = {**st.session_state.get(CHOSEN, {}), key: st.session_state[key]}


def chosen(key: str):
    """The value of the box `key`, or what was last chosen in it when it is not drawn."""
    state = st.session_state
    return state[key] if key in state else state.get(CHOSEN, {}).get(key)


def settings_panel(settings: Settings, current: AskOptions) -> None:
    defaults = AskOptions.defaults(settings)
    generators = available_generators(settings)
    with st.sidebar.expander("Answer settings", icon=":material/tune:", key="answer-settings",
                             on_change="rerun"):
        generator = st.selectbox("Generator", generators, key="opt_generator",
                                 index=generators.index(current.generator),
                                 format_func=lambda g: GENERATOR_LABELS.get(g, g))
        if generator == "extractive":
            st.caption(extractive_note(generators))
        elif generator == "workers-ai":
            models = workers_ai_chat_models(settings)
            st.selectbox("Model", models, key="opt_model_workers-ai",
                         index=models.index(current.model) if current.model in models else 0,
                         on_change=remember, args=("opt_model_workers-ai",))
            st.multiselect("Fallback models, in order", models, key="opt_fallbacks",
                           default=[m for m in current.fallbacks if m in models]
                           if "opt_fallbacks" not in st.session_state else None,
                           help="Tried when the model is out of capacity or unavailable.",
                           on_change=remember, args=("opt_fallbacks",))
        else:
            st.text_input("Model", key="opt_model_openai",
                          value=current.model or settings.openai_chat_model,
                          on_change=remember, args=("opt_model_openai",))
        st.radio("Search mode", SEARCH_MODES, key="opt_search_mode", horizontal=True,
                 index=SEARCH_MODES.index(defaults.search_mode),
                 help="hybrid: meaning and words, fused; dense: meaning; sparse: words (BM25).")
        st.slider("Passages per question (top-k)", 1, max(20, defaults.top_k),
                  value=defaults.top_k, key="opt_top_k")
        st.number_input("Max answer tokens", 16, 8192, value=defaults.max_tokens, step=64,
                        key="opt_max_tokens", disabled=generator == "extractive",
                        help="Longest answer a language model may write.")
        st.radio("Answer strategy", ANSWER_STRATEGIES, key="opt_strategy", horizontal=True,
                 index=ANSWER_STRATEGIES.index(defaults.strategy),
                 disabled=generator == "extractive", help=STRATEGY_HELP)


def extractive_note(offered: list[str]) -> str:
    """What extractive mode is, and how to get written answers: a generator the Generator box
    offers is chosen there; one not configured needs its settings and a restart."""
    ready = [f"**{GENERATOR_LABELS[name]}**" for name in GENERATOR_SETUP if name in offered]
    missing = [setup for name, setup in GENERATOR_SETUP.items() if name not in offered]
    ways = []
    if ready:
        ways.append(f"choose {' or '.join(ready)} in the Generator box above")
    if missing:
        ways.append(f"set {', or '.join(missing)}, then restart the app "
                    f"(see docs/providers.md)")
    return f"{EXTRACTIVE} For written answers {', or '.join(ways)}."


def identity_footer(identity: Identity) -> None:
    st.sidebar.divider()
    if identity.signed_in:
        st.sidebar.caption(f"Signed in as **{plain(identity.label)}**")
        if st.sidebar.button("Log out"):
            st.logout()
    else:
        st.sidebar.caption("Anonymous session: the conversation and the uploads' progress "
                           "live in this page only; a reload starts afresh (uploads still "
                           "finish).")

