"""HTTP to AI providers: client, retries, error mapping, SSE, call log, parallel requests."""
