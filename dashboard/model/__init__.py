"""The joined atlas, the one FilterState and pure queries over them (no Dash, no i18n)."""
