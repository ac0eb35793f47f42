"""The ``--as-of DATE`` option the commands share."""

import argparse
import datetime as dt


def iso_date(value: str) -> dt.date:
    """An argparse type: YYYY-MM-DD, or a usage error naming the bad value."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be YYYY-MM-DD, not {value!r}") from None


def add_as_of(parser) -> None:
    parser.add_argument(
        "--as-of", type=iso_date, help="YYYY-MM-DD (default: today in Asia/Shanghai)"
    )
