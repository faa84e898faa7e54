"""Where the chunks live: a Qdrant collection per library, embedded (edge) or on a server."""
