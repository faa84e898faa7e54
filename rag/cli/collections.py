"""`rag collections`: the library's collections, listed and deleted, through a running engine
(`rag ui`) when one has the data folder open, else in this process.

Without an engine a collection is dropped in the store without being opened: one another
embedder filled cannot be opened with this one (the error says to delete it), and is deleted
all the same. The configured collection (RAG_COLLECTION) may be deleted here, the engine
not running: it is made again, empty, when next used. The engine keeps it, as the app does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING

from rag.engine import discovery
from rag.errors import no_such_collection
from rag.settings import COLLECTION_NAME, Settings

if TYPE_CHECKING:
    from rag.stores.base import ChunkStore


def collection_names(settings: Settings) -> tuple[list[str], str]:
    """Every collection's name, the configured one first when it exists; and which one that
    is: a running engine's own (the one it keeps), else this command's RAG_COLLECTION."""
    address = discovery.find(settings.data_dir)
    if address is not None:
        from rag.cli.remote import EngineLibrary

        with closing(EngineLibrary(address, settings.collection)) as engine:
            names = engine.collections()
        return names, names[0]  # the engine lists its configured one first, always there
    with local_store(settings) as store:
        names = _collections(store)
    return sorted(names, key=lambda name: name != settings.collection), settings.collection


def delete_collection(settings: Settings, name: str, confirmed: Callable[[], bool]) -> bool:
    """Delete the collection `name` and everything in it, once `confirmed()`; False when it
    is not. CollectionMissing, before asking, when there is no such collection."""
    address = discovery.find(settings.data_dir)
    if address is not None:
        from rag.cli.remote import EngineLibrary

        with closing(EngineLibrary(address, settings.collection)) as engine:
            _check_there(name, engine.collections())
            if not confirmed():
                return False
            engine.delete_collection(name)
        return True
    with local_store(settings) as store:
        _check_there(name, _collections(store))
        if not confirmed():
            return False
        store.with_collection(name).drop()
    return True


def _collections(store: ChunkStore) -> list[str]:
    """The store's collections: not a folder named as none can be (`docs.bak`, a copy)."""
    return [name for name in store.collections() if COLLECTION_NAME.fullmatch(name)]


def _check_there(name: str, names: list[str]) -> None:
    if name not in names:
        raise no_such_collection(name, names)


@contextmanager
def local_store(settings: Settings) -> Iterator[ChunkStore]:
    """The configured store, its collections not opened (no embedder is asked to match)."""
    from rag.registry import make_embedder, make_store

    embedder = make_embedder(settings)
    try:
        store = make_store(settings, embedder)
        try:
            yield store
        finally:
            store.close()
    finally:
        embedder.close()
