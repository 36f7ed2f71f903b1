"""The HTTP layer: one module per dialect, with its wire schemas beside it."""
