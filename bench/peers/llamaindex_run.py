"""LlamaIndex's usual ingest: SimpleDirectoryReader → IngestionPipeline → QdrantVectorStore.

As its documentation writes it: the reader's PDFReader (a Document per page, with its file
metadata), an `IngestionPipeline` of `SentenceSplitter` and the embedding model writing into a
Qdrant vector store (embedded, local mode). The splitter counts the embedder's own WordPiece
tokens so its chunk size is ours (200 tokens, 30 overlap); LlamaIndex keeps the metadata it
embeds inside that size, as it always does. Only the embedder varies: ours behind
`BaseEmbedding` with our batch size, or `HuggingFaceEmbedding` with its defaults.
"""

from __future__ import annotations

import time
from pathlib import Path

from common import embedded_tokens
from embedders import OnnxCore, st_model_folder
from llama_index.core import SimpleDirectoryReader
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import MetadataMode
from llama_index.vector_stores.qdrant import QdrantVectorStore
from pydantic import PrivateAttr
from qdrant_client import QdrantClient

from rag.providers.embedders.local import load_tokenizer, weights_dir
from rag.settings import Settings

COLLECTION = "bench"


class OnnxEmbedding(BaseEmbedding):
    """Our ONNX embedder behind LlamaIndex's interface, fed in LlamaIndex's default batches
    (10 texts): our embedder spreads each batch over its sessions, as it does ours. Batches of
    one text (the int8 model's texts per session call) would leave all but one core idle."""

    _core: OnnxCore = PrivateAttr()

    def __init__(self, core: OnnxCore) -> None:
        super().__init__(model_name=core.embedder.name)
        self._core = core

    @property
    def truncated(self) -> int:
        return self._core.truncated

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._core.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._core.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._core.embed(texts).tolist()


def make_embedding(backend: str, settings: Settings, workdir: Path) -> BaseEmbedding:
    """`onnx`: ours wrapped; `torch`: HuggingFaceEmbedding as its users create it."""
    if backend == "onnx":
        return OnnxEmbedding(OnnxCore(settings))
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding  # PyTorch: only here

    return HuggingFaceEmbedding(model_name=str(st_model_folder(workdir)))


def wordpiece_counter():
    """The embedder's tokenizer as SentenceSplitter wants it: text → list of token ids."""
    tokenizer = load_tokenizer(weights_dir())
    return lambda text: tokenizer.encode(text, add_special_tokens=False).ids


def run(files: list[Path], embed_model: BaseEmbedding, qdrant_path: Path, chunk_tokens: int,
        chunk_overlap: int) -> dict:
    """Ingest `files`; returns the counts and each stage's seconds."""
    started = time.perf_counter()
    documents = SimpleDirectoryReader(input_files=[str(f) for f in files]).load_data()
    loaded = time.perf_counter()
    client = QdrantClient(path=str(qdrant_path))
    pipeline = IngestionPipeline(
        transformations=[
            SentenceSplitter(chunk_size=chunk_tokens, chunk_overlap=chunk_overlap,
                             tokenizer=wordpiece_counter()),
            embed_model,
        ],
        vector_store=QdrantVectorStore(collection_name=COLLECTION, client=client),
    )
    nodes = pipeline.run(documents=documents)
    stored = time.perf_counter()
    points = client.count(COLLECTION, exact=True).count
    # after the clock stopped: what the embedder was given, metadata included
    tokens = embedded_tokens([n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes])
    client.close()
    return {
        "files": len(files), "pages": len(documents), "chunks": len(nodes), "points": points,
        "tokens": tokens,
        "truncated": getattr(embed_model, "truncated", None),
        "stages": {"load_s": round(loaded - started, 2),
                   "split_embed_store_s": round(stored - loaded, 2)},
        "chunking": {"splitter": "SentenceSplitter", "unit": "WordPiece tokens (with metadata)",
                     "chunk_size": chunk_tokens, "chunk_overlap": chunk_overlap},
    }
