"""Remote AI providers: Workers AI (native or via AI Gateway) and OpenAI-compatible servers.

Import the providers from their modules (`rag.ai.workers_ai`, `rag.ai.openai_compat`); this
package only names them, so importing `rag.ai` stays cheap.
"""

__all__ = [
    "OpenAIEmbedder",
    "OpenAIGenerator",
    "WorkersAIEmbedder",
    "WorkersAIGenerator",
]


def __getattr__(name: str) -> object:
    """Lazy re-exports: `from rag.ai import WorkersAIGenerator` imports only what it needs."""
    if name in ("WorkersAIEmbedder", "WorkersAIGenerator"):
        from rag.ai import workers_ai

        return getattr(workers_ai, name)
    if name in ("OpenAIEmbedder", "OpenAIGenerator"):
        from rag.ai import openai_compat

        return getattr(openai_compat, name)
    raise AttributeError(f"module 'rag.ai' has no attribute {name!r}")
