"""Ollama's ``keep_alive`` durations: seconds as a number, or a Go duration string."""

from __future__ import annotations

import math
import re

__all__ = ["parse_duration"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(value: float | int | str) -> float:
    """Seconds; a negative result means "forever". Raises ``ValueError`` on bad input."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string such as '5m'")
    if isinstance(value, int | float):
        return _finite(float(value))
    text = value.strip()
    try:
        return _finite(float(text))  # "300" or "-1"
    except ValueError as error:
        if "finite" in str(error):
            raise
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    parts = _PART.findall(body)
    if not parts or "".join(number + unit for number, unit in parts) != body:
        raise ValueError(f"invalid duration {value!r}; use seconds or e.g. '5m', '1h30m'")
    return _finite(sign * sum(float(number) * _UNITS[unit] for number, unit in parts))


def _finite(seconds: float) -> float:
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError("a duration must be a finite number of seconds")
    return seconds
