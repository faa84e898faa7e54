"""LangChain's usual ingest: PyPDFLoader → RecursiveCharacterTextSplitter → QdrantVectorStore.

As its documentation and most tutorials write it: every page a Document, the character splitter
with its default separators, then `QdrantVectorStore.from_documents` (batches of 64 texts) into
an embedded (local-mode) Qdrant. Only the embedder varies: ours behind LangChain's
`Embeddings` interface, or LangChain's own `HuggingFaceEmbeddings` with its defaults.
"""

from __future__ import annotations

import time
from pathlib import Path

from common import embedded_tokens
from embedders import OnnxCore, st_model_folder
from langchain_community.document_loaders import PyPDFLoader
from langchain_core.embeddings import Embeddings
from langchain_qdrant import QdrantVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.settings import Settings

COLLECTION = "bench"


class OnnxEmbeddings(Embeddings):
    """Our ONNX embedder behind LangChain's interface; nothing else changes."""

    def __init__(self, core: OnnxCore) -> None:
        self.core = core

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.core.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.core.embed([text])[0].tolist()


def make_embeddings(backend: str, settings: Settings, workdir: Path) -> Embeddings:
    """`onnx`: ours wrapped; `torch`: HuggingFaceEmbeddings as its users create it."""
    if backend == "onnx":
        return OnnxEmbeddings(OnnxCore(settings))
    from langchain_huggingface import HuggingFaceEmbeddings  # imports PyTorch: only here

    return HuggingFaceEmbeddings(model_name=str(st_model_folder(workdir)))


def run(files: list[Path], embeddings: Embeddings, qdrant_path: Path, chunk_chars: int,
        chunk_overlap: int) -> dict:
    """Ingest `files`; returns the counts and each stage's seconds."""
    started = time.perf_counter()
    pages = [page for f in files for page in PyPDFLoader(str(f)).load()]
    loaded = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_chars, chunk_overlap=chunk_overlap)
    chunks = splitter.split_documents(pages)
    split = time.perf_counter()
    store = QdrantVectorStore.from_documents(chunks, embeddings, path=str(qdrant_path),
                                             collection_name=COLLECTION)
    stored = time.perf_counter()
    points = store.client.count(COLLECTION, exact=True).count
    tokens = embedded_tokens([c.page_content for c in chunks])  # after the clock stopped
    store.client.close()
    truncated = getattr(getattr(embeddings, "core", None), "truncated", None)
    return {
        "files": len(files), "pages": len(pages), "chunks": len(chunks), "points": points,
        "tokens": tokens, "truncated": truncated,
        "stages": {"load_s": round(loaded - started, 2), "split_s": round(split - loaded, 2),
                   "embed_store_s": round(stored - split, 2)},
        "chunking": {"splitter": "RecursiveCharacterTextSplitter", "unit": "characters",
                     "chunk_size": chunk_chars, "chunk_overlap": chunk_overlap},
    }
