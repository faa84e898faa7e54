"""Helpers of the peer benchmarks; the contender modules run under .venv-peers."""
