"""Numbers as each language writes them, from Babel's locale data (the Unicode CLDR).

``number(value, spec, lang)`` reads a Python format spec (``.3f``, ``.3g``, ``.2e``, ``.0%``, ``g``, ``d`` or
none) and writes ``value`` with the digits Python's ``format(value, spec)`` would keep, but with the locale's
decimal sign: 0.5 in English, 0,5 in German. The rest follows one convention in both languages:

- a power of ten is a mantissa times ten with a superscript exponent, 1.5 · 10¹² (German 1,5 · 10¹²), wherever
  Python would write ``1.5e+12`` (``7.26e+00`` is just 7.26);
- the digits left of the decimal sign are grouped by three with a narrow no-break space (U+202F) from 10 000
  up, as ISO 80000-1 writes them (58 024, 4096 and 0.0125 are left as they are);
- a percentage is written as the locale writes it: 63% in English, 63 % in German (with a no-break space).

Anything that is not a real number (a string, a bool, ``None``) is formatted by Python as it stands.
``parse_number(text, lang)`` reads such a text back (a table cell, for a test or a program reading the report);
``decimal_sign(lang)`` is the locale's decimal sign, for the tick labels of figures.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal
from functools import cache

from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol, parse_decimal

GROUP = "\u202f"  # narrow no-break space between groups of three digits
TIMES = "\u202f·\u202f"  # between a mantissa and its power of ten
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
UNSUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
GROUPED_FROM = 10_000  # the smallest magnitude whose digits are grouped (ISO 80000-1)
SPEC = re.compile(r"^(?:\.(?P<precision>\d+))?(?P<type>[defgn%]?)$")  # the specs ``number`` reads


def is_real(value) -> bool:
    """Whether ``value`` is a real number (a Python or NumPy int or float, not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(value, spec: str = "", lang: str = "en") -> str:
    """``value`` formatted by ``spec`` as ``lang`` writes numbers; ``format(value, spec)`` for a non-number or
    a spec other than ``[.precision][type]`` with type one of ``d e f g n %``."""
    match = SPEC.match(spec)
    if not is_real(value) or match is None:
        return format(value, spec)
    if isinstance(value, numbers.Integral) and match["type"] in ("", "d", "n"):
        return _decimal(Decimal(int(value)), 0, lang)
    value = float(value)
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("−∞" if value < 0 else "∞")
    if match["type"] == "%":
        digits = format(100 * value, f".{match['precision'] or 6}f")
        return _percent(digits, lang)
    text = format(value, (f".{match['precision']}" if match["precision"] else "") + (match["type"] or "g"))
    mantissa, _, exponent = text.partition("e")
    written = _decimal(Decimal(mantissa), _decimals(mantissa), lang)
    power = int(exponent or 0)
    return written + TIMES + "10" + str(power).translate(SUPERSCRIPT) if power else written


def parse_number(text: str, lang: str = "en") -> float:
    """The number that ``number(…, lang)`` wrote as ``text`` (to the digits written); ``ValueError`` if none."""
    text = text.strip()
    special = {"∞": math.inf, "−∞": -math.inf, "NaN": math.nan}
    if text in special:
        return special[text]
    percent = _percent_template(lang).replace("100", "")  # "%" or " %"
    scale = 0.01 if text.endswith(percent) else 1.0
    mantissa, _, power = text.removesuffix(percent).partition(TIMES)
    try:
        exponent = int(power.removeprefix("10").translate(UNSUPERSCRIPT)) if power.startswith("10") else 0
        if power and not power.startswith("10"):
            raise ValueError(power)
        value = parse_decimal(mantissa.replace(GROUP, ""), locale=lang, strict=True)
    except ValueError as error:  # babel's NumberFormatError is one
        raise ValueError(f"not a number in {lang}: {text!r}") from error
    return float(value.scaleb(exponent)) * scale


def decimal_sign(lang: str) -> str:
    """The decimal sign of ``lang``: ``.`` in English, ``,`` in German."""
    return get_decimal_symbol(lang)


def _decimals(text: str) -> int:
    """How many digits ``text`` (a plain decimal such as ``-1.250``) has after its point."""
    return len(text.partition(".")[2])


def _decimal(value: Decimal, decimals: int, lang: str) -> str:
    """``value`` with exactly ``decimals`` digits after the locale's decimal sign, grouped from 10 000 up."""
    grouped = abs(value) >= GROUPED_FROM
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * decimals if decimals else "")
    text = format_decimal(value, format=pattern, locale=lang)
    return text.replace(_group(lang), GROUP) if grouped else text


def _percent(digits: str, lang: str) -> str:
    """A percentage given as its digits (``"63.4"``), with the locale's sign and spacing around it."""
    written = _decimal(Decimal(digits), _decimals(digits), lang)
    return _percent_template(lang).replace("100", written)


@cache
def _percent_template(lang: str) -> str:
    """How ``lang`` writes one hundred percent, e.g. ``100%`` or ``100 %``."""
    return format_percent(1, locale=lang)


@cache
def _group(lang: str) -> str:
    return get_group_symbol(lang)
