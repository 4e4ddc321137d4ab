"""Who the note is about: "#MüllerGmbH", "Hr. Dr. Vogt", "Kessler Baustoffe GmbH", "Ms. Tanaka", "bei Fjordline"."""

from __future__ import annotations

import re

from scoring.text import fold

_LEGAL = (
    r"GmbH\s*&\s*Co\.?\s*KG|GmbH|gGmbH|AG|KGaA|KG|OHG|GbR|SE|UG|e\.\s?V\.|eG|mbH|Ltd\.?|Limited|"
    r"Inc\.?|LLC|LLP|plc|Corp\.?|Co\.|S\.A\.|S\.p\.A\.|B\.V\.|N\.V\.|AB|Oy|A/S|SARL|SAS|Pty"
)
_CAP = r"[A-ZÄÖÜ][\w&'’.-]*"
_HASHTAG = re.compile(r"(?<!\w)#([A-Za-zÄÖÜäöüß][\w-]{2,})")
_COMPANY = re.compile(rf"((?:{_CAP}|&|\+|und|and)(?:\s+(?:{_CAP}|&|\+|und|and)){{0,3}})\s+({_LEGAL})(?![\w])")
_PERSON = re.compile(
    r"\b(Hr\.|Herrn?|Fr\.|Frau|Mr\.?|Mrs\.?|Ms\.?|Mx\.?|Dr\.|Prof\.|Doc)\s+((?:(?:Dr\.|Prof\.|med\.)\s+)*)"
    r"([A-ZÄÖÜ][\wäöüß'’-]+(?:[ -](?:von|van|de|zu|vom)\s+[A-ZÄÖÜ][\wäöüß'’-]+)?)"
)
_AT_PLACE = re.compile(
    r"(?:\bbei\b|\bat\b|\bwith\b|\bmit\b|@)\s+((?:[A-ZÄÖÜ][\wäöüß&'’-]+)(?:\s+[A-ZÄÖÜ][\wäöüß&'’-]+){0,2})"
)
_LEADING = re.compile(r"^\s*((?:[A-ZÄÖÜ][\wäöüß&'’.-]+)(?:\s+[A-ZÄÖÜ][\wäöüß&'’.-]+){0,3})\s*(?:[:–—(,]|\s-\s)")
# Capitalised words that start notes but name no customer.
_NOT_NAMES = frozenset(
    fold(w)
    for w in (
        [
            "Termin",
            "Gespräch",
            "Gespraech",
            "Meeting",
            "Mtg",
            "Call",
            "Anruf",
            "Telefonat",
            "Heute",
            "Gestern",
            "Kurz",
            "Kurzer",
            "Kurzes",
            "Besuch",
            "Visit",
            "Service",
            "Great",
            "Good",
            "Bad",
            "Quick",
            "Follow-up",
            "Followup",
            "Update",
            "Notiz",
            "Note",
            "Info",
            "Lunch",
            "Dinner",
            "Kunde",
            "Kundin",
            "Customer",
            "Client",
            "Er",
            "Sie",
            "He",
            "She",
            "They",
            "Wir",
            "We",
            "Ich",
            "Der",
            "Die",
            "Das",
            "The",
            "A",
            "An",
            "Neuer",
            "Neue",
            "New",
            "Erster",
            "Erstes",
            "First",
            "Zweiter",
            "Second",
            "Wieder",
            "Again",
            "Today",
            "Yesterday",
            "Montag",
            "Dienstag",
            "Mittwoch",
            "Donnerstag",
            "Freitag",
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Messe",
            "Trade",
            "Fair",
            "Zoom",
            "Teams",
            "Webex",
            "Video",
            "Telefon",
            "Phone",
            "Email",
            "E-Mail",
            "Mail",
            "Super",
            "Toll",
            "Schwieriger",
            "Schwierig",
            "Difficult",
            "Tough",
            "Nice",
            "Nett",
            "Ok",
            "Okay",
            "Hallo",
            "Hi",
            "Hey",
            "Moin",
            "Update",
            "Status",
            "Bitte",
            "Please",
            "Ignore",
            "Ignoriere",
            "Apothekenleitung",
            "Einkauf",
            "Leitung",
            "Chefarzt",
            "Chefärztin",
            "Oberarzt",
            "Geschäftsführer",
            "GF",
            "CFO",
            "CEO",
            "CTO",
            "COO",
            "Owner",
            "Inhaber",
            "Inhaberin",
            "Treasurer",
            "Praxis",
            "Klinik",
            "Wochenende",
            "Weekend",
            "Jour",
            "Fixe",
            "QBR",
            "Workshop",
            "Demo",
            "Präsentation",
        ]
    )
)


def extract_customer(text: str) -> str | None:
    """The customer's name or handle as written, or None when the note names none."""
    if m := _HASHTAG.search(text):
        return m.group(1)
    if m := _COMPANY.search(text):
        name = re.sub(r"^(?:(?:und|and|&|\+)\s+)+", "", m.group(1))
        words = [w for w in name.split() if fold(w) not in _NOT_NAMES]
        if words:
            return f"{' '.join(words)} {m.group(2)}"
    if m := _PERSON.search(text):
        title = m.group(1)
        return f"{title} {m.group(2)}{m.group(3)}".replace("  ", " ")
    for pattern in (_AT_PLACE, _LEADING):
        if m := pattern.search(text):
            words = m.group(1).rstrip(".").split()
            while words and fold(words[0]) in _NOT_NAMES:
                words.pop(0)
            if words and not all(fold(w) in _NOT_NAMES for w in words):
                return " ".join(words)
    return None


_TITLES = re.compile(r"\b(hr|herrn?|fr|frau|mr|mrs|ms|mx|dr|prof|med|doc)\b\.?", re.IGNORECASE)
_LEGAL_KEY = re.compile(rf"(?:{_LEGAL})$", re.IGNORECASE)


def customer_key(name: str | None) -> str | None:
    """A normalised key, so "#MüllerGmbH", "Müller GmbH" and "Mueller GmbH" are the same customer."""
    if not name:
        return None
    name = name.lstrip("#").strip()
    name = re.sub(rf"(?<=[a-zäöüß])({_LEGAL})$", r" \1", name)  # "#MüllerGmbH" -> "Müller GmbH"
    name = _TITLES.sub(" ", name)
    words = name.split()
    while len(words) > 1 and (_LEGAL_KEY.fullmatch(words[-1]) or words[-1] in {"&", "+"}):
        words.pop()
    key = re.sub(r"[^a-z0-9]+", "", fold(" ".join(words)))
    return key or None
