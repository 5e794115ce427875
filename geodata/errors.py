"""Every error geodata raises. All derive from GeodataError, so callers can catch one class."""
from __future__ import annotations


class GeodataError(RuntimeError):
    """Base class of all geodata errors (message says what, where, and how to fix)."""


class SourceUnavailable(GeodataError):
    """A pinned input could be found neither in the mirror nor downloaded."""


class ChecksumMismatch(GeodataError):
    """A file's sha256 differs from the pinned value (corrupt or wrong file)."""


class InvalidBoundaries(GeodataError):
    """The boundaries break an invariant: count, TERYT, validity, coverage, nesting."""


class NotPrepared(GeodataError):
    """The cache holds no prepared geodata (run `python -m geodata prepare`)."""


class EnrichmentUnavailable(GeodataError):
    """An enrichment (TERYT crosswalk 2020->2026, town list) could not be built; boundaries still work."""
