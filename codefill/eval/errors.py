"""The one failure the eval harness reports instead of a score: it could not do the run."""

from __future__ import annotations

__all__ = ["HarnessError"]


class HarnessError(Exception):
    """The run could not complete (bad data file, server down, unknown model); exit non-zero."""
