"""Helpers of the peer benchmarks (issue 6); the contender modules run under .venv-peers."""
