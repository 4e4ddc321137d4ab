"""Money figures in a note: "1,5 Mio €", "600 Tsd p.a.", "€1.2m", "40 T€", "12k per month", "$2M ARR"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"(?P<num>\d{1,3}(?:[.\s’']\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)"
_CUR = r"(?:€|eur|euro|\$|usd|£|gbp|chf|dollar)"
_SCALE = r"(?P<scale>mrd|milliarden?|billion|bn|mio|millionen?|million|mill?|mn|m|tsd|tausend|thousand|k|t€|te|teur)"
# A number with a scale and/or a currency, in either order around the number.
_AMOUNT = re.compile(
    rf"(?P<pre>{_CUR})?\s?~?\s?{_NUM}\s?(?:{_SCALE}(?![a-zäöü])\.?)?\s?(?P<post>{_CUR})?",
    re.IGNORECASE,
)
_PER_MONTH = re.compile(
    r"^\s*(?:/\s?(?:monat|mon|m|month|mo)\b|(?:pro|per|a|im|je)\s+(?:monat|month)|monatlich|"
    r"monthly|p\.?\s?m\.?(?!\w))",
    re.IGNORECASE,
)
_PER_YEAR = re.compile(
    r"^\s*(?:/\s?(?:jahr|j|a|yr|year)\b|(?:pro|per|a|im|je)\s+(?:jahr|year)|jährlich|"
    r"annual\w*|yearly|p\.?\s?a\.?|arr\b)",
    re.IGNORECASE,
)
_SCALES = {
    "mrd": 1e9,
    "milliarde": 1e9,
    "milliarden": 1e9,
    "billion": 1e9,
    "bn": 1e9,
    "mio": 1e6,
    "million": 1e6,
    "millionen": 1e6,
    "mill": 1e6,
    "mil": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "tsd": 1e3,
    "tausend": 1e3,
    "thousand": 1e3,
    "k": 1e3,
    "t€": 1e3,
    "te": 1e3,
    "teur": 1e3,
}


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    eur_per_year: float  # monthly figures are annualised; currencies are taken at par (a rough order of size)


def largest_per_year(amounts: list[Amount]) -> float | None:
    """The biggest annualised figure, the one that speaks for the customer's size; None without figures."""
    return max((a.eur_per_year for a in amounts), default=None)


def _to_float(num: str) -> float:
    num = num.replace(" ", "").replace("’", "").replace("'", "")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", num):  # 1.500.000,50
        return float(num.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", num):  # 1,500,000
        return float(num.replace(",", ""))
    return float(num.replace(",", "."))


def find_amounts(text: str) -> list[Amount]:
    """Figures that carry a currency or a scale word; plain counts ("420 trucks", "3 J") are not money."""
    found: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        scale = (m.group("scale") or "").lower()
        has_currency = bool(m.group("pre") or m.group("post"))
        if not scale and not has_currency:
            continue
        glued_capital_m = m.group("scale") == "M" and text[m.start("scale") - 1].isdigit()
        if scale == "m" and not (has_currency or glued_capital_m or _PER_YEAR.match(text[m.end() :])):
            continue  # "3 m" is more often metres or months than millions; "1.8M" is money
        before = text[max(0, m.start("num") - 1) : m.start("num")]
        if before.isalpha() and not m.group("pre"):
            continue  # part of a word or code like "KW23", "Q3"
        try:
            value = _to_float(m.group("num")) * _SCALES.get(scale.rstrip("."), 1.0)
        except ValueError:
            continue
        rest = text[m.end() : m.end() + 20]
        if _PER_MONTH.match(rest):
            value *= 12
        start, end = m.span()
        while text[start].isspace() or text[start] == "~":
            start += 1
        while text[end - 1].isspace():
            end -= 1
        found.append(Amount(start, end, value))
    return found
