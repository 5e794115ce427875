"""Press exports: presets, page arrangement, the press figure, texts, rendering, the panel and the CLI."""
