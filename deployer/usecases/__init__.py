"""Use cases: one module per command, each a plain function of a Runtime and its options."""
