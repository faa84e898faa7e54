"""What the code relies on about Workers AI's models (docs/workers-ai.md, "Limits" and
"Embeddings"): context windows, embedding sizes, batch limits."""

from __future__ import annotations

#: how Workers AI's model ids begin (Cloudflare's own, and Hugging Face's it hosts)
MODEL_ID_PREFIXES = ("@cf/", "@hf/")


def is_workers_ai_model(model: str) -> bool:
    return model.startswith(MODEL_ID_PREFIXES)


#: Context windows in tokens, input plus max_tokens.
CONTEXT_WINDOWS: dict[str, int] = {
    "@cf/meta/llama-3.1-8b-instruct": 7_968,
    "@cf/meta/llama-3.2-1b-instruct": 60_000,
    "@cf/meta/llama-3.1-8b-instruct-fp8": 32_000,
    "@cf/meta/llama-3.1-8b-instruct-awq": 8_192,
    "@cf/meta/llama-3.1-8b-instruct-fast": 128_000,
}
EMBEDDING_DIMENSIONS: dict[str, int] = {
    "@cf/baai/bge-small-en-v1.5": 384,
    "@cf/baai/bge-base-en-v1.5": 768,
    "@cf/baai/bge-large-en-v1.5": 1024,
    "@cf/baai/bge-m3": 1024,
}
MAX_TEXTS_PER_REQUEST = 100  # the bge schema's maxItems
EMBEDDING_MAX_TOKENS = 512  # per text, [CLS] and [SEP] included
RERANK_MAX_TOKENS = 512  # per query + passage pair (bge-reranker-base)
BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "
