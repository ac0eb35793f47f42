"""Identity numbers as Chinese registries define them: pure rules, no ORM.

- The 18-character resident identity number (公民身份号码, GB 11643-1999): 6 digits of the
  region, 8 of the date of birth (YYYYMMDD), 3 of sequence whose last digit is odd for men
  and even for women, and a check character computed by ISO 7064 MOD 11-2.
- The 18-character unified social credit code (统一社会信用代码, GB 32100-2015): 17
  characters from ``CREDIT_CODE_CHARS`` and a check character modulo 31.

Each ``*_problem`` function returns '' when the number is well formed, else a sentence
saying what is wrong; the caller names the field.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MALE = "male"
FEMALE = "female"


def resident_id_check_char(body: str) -> str:
    """The check character of the first 17 digits of a resident ID number."""
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def credit_code_check_char(body: str) -> str:
    """The check character of the first 17 characters of a unified social credit code."""
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def normalize_id(number: str) -> str:
    """Blanks removed, a lower-case x as X: how an ID number or credit code is stored."""
    return "".join(number.split()).upper()


def resident_id_birth_date(number: str) -> dt.date | None:
    """The date of birth a well-formed resident ID number carries."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except (ValueError, IndexError):
        return None


def resident_id_sex(number: str) -> str:
    """``MALE`` when the 17th digit is odd, ``FEMALE`` when even."""
    return MALE if int(number[16]) % 2 else FEMALE


def resident_id_problem(number: str) -> str:
    """What is wrong with an 18-character resident ID number ('' if nothing)."""
    number = normalize_id(number)
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return _("A resident ID number has 17 digits and a check digit (0–9 or X): 18 characters.")
    if resident_id_birth_date(number) is None:
        return _("Characters 7–14 of a resident ID number are the date of birth (YYYYMMDD).")
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        return _(
            "The check digit of this resident ID number is wrong (GB 11643: %(expected)s "
            "expected, %(found)s found); please check the number."
        ) % {"expected": expected, "found": number[17]}
    return ""


def credit_code_problem(code: str) -> str:
    """What is wrong with a unified social credit code ('' if nothing)."""
    code = normalize_id(code)
    if len(code) != 18 or any(c not in CREDIT_CODE_CHARS for c in code):
        return _(
            "A unified social credit code has 18 characters: digits and capital letters "
            "other than I, O, S, V and Z."
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return _(
            "The check character of this unified social credit code is wrong (GB 32100: "
            "%(expected)s expected, %(found)s found); please check the code."
        ) % {"expected": expected, "found": code[17]}
    return ""


def mask_id_number(number: str) -> str:
    """3301**********123X: the first four and last four characters of an ID number kept."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
