from __future__ import annotations

import pytest

from codefill.durations import parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1800, 1800.0),
        (0, 0.0),
        (-1, -1.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("250ms", 0.25),
        ("-1m", -60.0),
        ("300", 300.0),
        ("1.5h", 5400.0),
    ],
)
def test_durations(value: float | str, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "5 minutes", "m5", "1d", True, "inf", "nan", float("inf")])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)  # type: ignore[arg-type]
