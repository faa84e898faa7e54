"""From a question to a streamed, cited answer: follow-ups made standalone, the answer cache,
retrieval, the generator's stream, and its citations checked as they arrive."""
