"""Article text: Markdown rendering, canonical-text offsets and annotation anchoring."""
