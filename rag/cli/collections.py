"""`rag collections`: the library's collections, listed and deleted, through a running engine
(`rag ui`) when one has the data folder open, else in this process.

Without an engine a collection is dropped in the store without being opened: one another
embedder filled cannot be opened with this one (the error says to delete it), and is deleted
all the same. The configured collection (RAG_COLLECTION) may be deleted here, the engine
not running: it is made again, empty, when next used. The engine keeps it, as the app does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rag.engine import discovery
from rag.errors import ConfigError, no_such_collection
from rag.settings import COLLECTION_NAME, COLLECTION_RULE, Settings

if TYPE_CHECKING:
    from rag.stores.base import ChunkStore

def collection_names(settings: Settings) -> tuple[list[str], str]:
    """Every collection's name, the configured one first when it exists; and which one that
    is: a running engine's own (the one it keeps), else this command's RAG_COLLECTION."""
    address = discovery.find(settings.data_dir)
    if address is not None:
        from rag.cli.remote import EngineLibrary

        engine = EngineLibrary(address, settings.collection)
        try:
            names = engine.collections()
        finally:
            engine.close()
        return names, names[0]  # the engine lists its configured one first, always there
    with local_store(settings) as store:
        names = [name for name in store.collections() if COLLECTION_NAME.fullmatch(name)]
    return sorted(names, key=lambda name: name != settings.collection), settings.collection


def check_deletable(settings: Settings, name: str) -> None:
    """ConfigError or CollectionMissing unless `name` names a collection there is: said
    before the question whether to delete it."""
    if not COLLECTION_NAME.fullmatch(name):
        raise ConfigError(f"'{name}' is not a valid collection name: {COLLECTION_RULE}.")
    names, _ = collection_names(settings)
    if name not in names:
        raise no_such_collection(name, names)


def delete_collection(settings: Settings, name: str) -> None:
    """Delete the collection `name` and everything in it."""
    if not COLLECTION_NAME.fullmatch(name):
        raise ConfigError(f"'{name}' is not a valid collection name: {COLLECTION_RULE}.")
    address = discovery.find(settings.data_dir)
    if address is not None:
        from rag.cli.remote import EngineLibrary

        engine = EngineLibrary(address, settings.collection)
        try:
            engine.delete_collection(name)
        finally:
            engine.close()
        return
    with local_store(settings) as store:
        names = store.collections()
        if name not in names:
            raise no_such_collection(name, [n for n in names if COLLECTION_NAME.fullmatch(n)])
        store.with_collection(name).drop()


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
