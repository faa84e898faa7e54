"""The HTTP API at /api/v1: the library, questions, and OpenAI-compatible chat."""
