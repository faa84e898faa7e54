"""From a question to the passages that answer it: dense, sparse, fused, reranked, cached."""
