"""Demo deals (filled in below)."""
