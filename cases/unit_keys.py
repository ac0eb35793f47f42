"""One normalized key per unit of an estate (pure: no ORM, no Django).

The same unit is written many ways: building 3栋 / 3幢 / 3号楼 / 3座 / 3# / 3, room 1201 /
1201室 / 1201号, digits half- or full-width (３栋１２０１). ``unit_key`` maps every documented
variant to one key, ``"<building>|<room>"``; ``Unit.key`` stores it with UNIQUE(estate, key), and
the ledger import matches rows on it, so one unit's debt is never split across two records.
"""

from __future__ import annotations

import re
import unicodedata

SEPARATOR = "|"
KEY_MAX_LENGTH = 45  # Unit.building (20) + separator + Unit.number (20), with room to spare

_BUILDING_SUFFIX = re.compile(r"(?:栋|幢|号楼|座|#)+$")
_ROOM_SUFFIX = re.compile(r"(?:室|号|房)+$")
_ROOM_PREFIX = re.compile(r"^[-#–—]+")  # left over from 3号楼-1201, 3栋#1201
_BLANKS = re.compile(r"\s+")


def _clean(value: str) -> str:
    """NFKC (full-width digits and letters → ASCII, ＃ → #), no blanks, lower case."""
    return _BLANKS.sub("", unicodedata.normalize("NFKC", value or "")).lower()


def building_key(building: str) -> str:
    """``3栋``, ``3幢``, ``3号楼``, ``3座``, ``3#``, ``３`` and ``3`` all give ``3``."""
    cleaned = _clean(building)
    return _BUILDING_SUFFIX.sub("", cleaned) or cleaned


def room_key(number: str) -> str:
    """``1201``, ``1201室``, ``1201号``, ``-1201`` and ``１２０１`` all give ``1201``."""
    cleaned = _ROOM_PREFIX.sub("", _clean(number))
    return _ROOM_SUFFIX.sub("", cleaned) or cleaned


def unit_key(building: str, number: str) -> str:
    """The key of the unit ``building``/``number`` within its estate: ``"3|1201"``."""
    return f"{building_key(building)}{SEPARATOR}{room_key(number)}"


def room_of(key: str) -> str:
    """The room part of a key (``"3|1201"`` → ``"1201"``)."""
    return key.rpartition(SEPARATOR)[2]
