"""Block Kit builders: pure functions from records to (text, blocks). No queries, no I/O."""
