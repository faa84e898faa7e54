"""The models behind the seams: embedders, generators and rerankers, local or remote.

Remote providers share `http/` (client, retries, errors, SSE, call log); each provider's own
policy (routes, credentials, error codes, prices) lives in its module (`cloudflare/`,
`openai_compat`).
"""
