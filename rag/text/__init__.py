"""Text measures every layer shares: token counts and lexical (BM25) terms."""
