"""What every route needs: the engine, who is calling, and the collection asked about.

The dependencies are async though they never wait: FastAPI runs a plain function dependency
on its thread pool, a hop to another thread and back on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.convertors import PathConvertor, register_url_convertor

from rag.engine.access import Caller
from rag.engine.api.errors import ApiError
from rag.engine.engine import Engine
from rag.engine.options import AskOptions
from rag.engine.workspace import check_collection_name
from rag.errors import (
    EMPTY_QUESTION,
    MADE_BY_THE_API,
    ConfigError,
    no_such_collection,
    same_in_any_case,
    taken_in_other_case,
)
from rag.service import RagService
from rag.text.sanitize import clean
from rag.types import SearchMode


class RestOfThePath(PathConvertor):
    """The rest of the path, line breaks included: Starlette's `path` stops at one ("%0A" in
    a document's id or a model's name), or drops one at the end and names another."""

    regex = "(?s:.*)"


# routes written `{name:rest}` (a document's id or path, a model's name) take it
register_url_convertor("rest", RestOfThePath())

CALLER_KEY = "rag.user"  # the request's scope holds its caller's user under this key


async def engine_of(request: Request) -> Engine:
    return request.app.state.engine


async def caller(request: Request) -> Caller:
    """The caller the Authorization header and the client's address make (or 401/403).
    A header of another scheme, or a bearer with no key, carries no key: refused where keys
    are needed, ignored on this machine where none are configured."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    host = request.client.host if request.client else None
    who = request.app.state.engine.caller(token, host, host=request.headers.get("host"),
                                          origin=request.headers.get("origin"))
    request.scope[CALLER_KEY] = who.user  # for the request's access log line
    return who


EngineDep = Annotated[Engine, Depends(engine_of)]
CallerDep = Annotated[Caller, Depends(caller)]


async def editor(request: Request, caller: CallerDep) -> Caller:
    """The caller, if it may change the library (RAG_EDITORS; else 403 before the body is
    read)."""
    request.app.state.engine.check_may_edit(caller)
    return caller


EditorDep = Annotated[Caller, Depends(editor)]

# an empty name is a mistake, never the default: absent or null is the default
CollectionQuery = Annotated[str | None, Query(min_length=1,
                                              description="collection (default "
                                                          "RAG_COLLECTION)")]


async def collection_query(request: Request, collection: CollectionQuery = None) -> str | None:
    """The `collection` query parameter; 400 when it is given twice with two names, of
    which FastAPI would keep the last without a word."""
    given = request.query_params.getlist("collection")
    for other in given[1:]:
        if not one_name(given[0], other):
            raise ApiError("bad_request", f"Two collections were given in the address: "
                                          f"'{given[0]}' and '{other}'; give one.")
    return collection


Collection = Annotated[str | None, Depends(collection_query)]


def one_name(first: str, second: str) -> bool:
    """Whether two collection names are one: names that differ only in case are."""
    return same_in_any_case(first, [second]) is not None


def either(in_body: str | None, in_query: str | None, *,
           places: tuple[str, str] = ("in the body", "in the address")) -> str | None:
    """The collection a route with a JSON body was asked about: in the body, or as a query
    parameter (never two different ones; `places` says where each was given)."""
    if in_body is not None and in_query is not None and not one_name(in_body, in_query):
        raise ApiError("bad_request", f"Two collections were given: '{in_body}' {places[0]} "
                                      f"and '{in_query}' {places[1]}; give one.")
    return in_body if in_body is not None else in_query


def check_collection_field(name: str, field: str = "collection") -> None:
    """400 for a name no collection can have, naming the request's `field` that gave it."""
    try:
        check_collection_name(name)
    except ConfigError as exc:
        raise ApiError("bad_request", str(exc), param=field) from None


#: the error for a collection that does not exist, given the names of those that do
Missing = Callable[[list[str]], ApiError]


def collection_view(engine: Engine, collection: str | None, *, missing: Missing | None = None,
                    mode: SearchMode | None = None) -> RagService:
    """The service for an existing collection (the configured one by default), searching in
    `mode` (default RAG_SEARCH_MODE); 400 for a name no collection can have, 404 for one
    that does not exist (the `missing` error when given). Blocking: the store is asked (a
    Qdrant server call)."""
    name = collection or engine.settings.collection
    check_collection_field(name)
    if not engine.workspace.has_collection(name):
        names = engine.workspace.collections()
        if missing is not None:
            raise missing(names)
        # a name taken in another case is the one to use, not one to make
        advice = "" if taken_in_other_case(name, names) else f" {MADE_BY_THE_API}"
        raise ApiError("not_found", f"{no_such_collection(name, names)}{advice}")
    try:
        if mode is None or mode == engine.settings.search_mode:
            return engine.workspace.view(name)
        return engine.workspace.view(name, searching(engine, mode))
    except ConfigError as exc:  # deleted since it was found
        if engine.workspace.has_collection(name):
            raise
        if missing is not None:
            raise missing(engine.workspace.collections()) from None
        raise ApiError("not_found", str(exc)) from None


def searching(engine: Engine, mode: SearchMode) -> AskOptions:
    """The configured answer options, but for the search mode."""
    return replace(engine.workspace.default_options, search_mode=mode)


def question_view(engine: Engine, collection: str | None, caller: Caller, asked: str, *,
                  asked_in: str = "question", missing: Missing | None = None,
                  empty: str = EMPTY_QUESTION, mode: SearchMode | None = None,
                  refusals: Callable[[RagService], None] | None = None) -> RagService:
    """collection_view, then the question `asked` counted against the caller's limit. A
    question refused before it is asked costs none: a missing collection, an empty question
    (`empty` is the refusal's message, `asked_in` the field it names as at fault), or what
    `refusals` raises for it in the view (a search's filter naming no document, a query
    longer than the embedding model reads).
    The `rag` command on this machine, which has no limit without an engine, has none with
    one. Blocking (the store, Redis): run it on the answer threads with the work it admits."""
    view = collection_view(engine, collection, missing=missing, mode=mode)
    if not clean(asked, tidy_spaces=True).text:
        raise ApiError("bad_request", empty, param=asked_in)
    if refusals is not None:
        refusals(view)
    if not caller.trusted:
        engine.admit(caller.user, "api")
    return view
