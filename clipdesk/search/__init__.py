"""Search: the vector index, the query language, near-duplicate candidates."""
