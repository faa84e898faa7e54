"""Cloudflare Workers AI: routes (native or AI Gateway), credentials, error codes, model facts
and prices. The embedder, generator and reranker that use it are in `embedders/`,
`generators/` and `rerankers/`."""
