"""The signal catalogue: stable ids from SPEC, their polarity and short descriptions in de/en."""

from __future__ import annotations

from typing import NamedTuple

from scoring.models import Lang, Polarity


class SignalInfo(NamedTuple):
    id: str
    polarity: Polarity
    de: str
    en: str

    def label(self, lang: Lang) -> str:
        return self.de if lang == "de" else self.en


CATALOGUE: dict[str, SignalInfo] = {
    s.id: s
    for s in (
        SignalInfo("k_verstanden", "kunde", "will verstanden werden", "wants to be understood"),
        SignalInfo("k_vertrauen", "kunde", "vertraut Ihnen", "trusts you"),
        SignalInfo("k_wertschaetzung", "kunde", "gegenseitige Wertschätzung", "mutual appreciation"),
        SignalInfo("k_augenhoehe", "kunde", "Dialog auf Augenhöhe", "dialogue at eye level"),
        SignalInfo("k_loesung", "kunde", "will eine Lösung", "wants a solution"),
        SignalInfo("k_langfristig", "kunde", "langfristiges Interesse", "long-term interest"),
        SignalInfo(
            "p_problemfokus",
            "patient",
            "will das Problem verstehen, nicht lösen",
            "wants to understand the problem, not solve it",
        ),
        SignalInfo("p_wettbewerb", "patient", "konkurriert mit Ihnen", "competes with you"),
        SignalInfo("p_externe_quellen", "patient", "vertraut externen Quellen mehr", "trusts outside sources more"),
        SignalInfo("p_bestaetigung", "patient", "sucht Bestätigung", "seeks confirmation"),
        SignalInfo("p_unzufriedenheit", "patient", "chronisch unzufrieden", "chronically dissatisfied"),
        SignalInfo("p_verantwortung", "patient", "schiebt Verantwortung ab", "shifts responsibility"),
        SignalInfo("v_umsatz", "value", "relevanter Umsatz heute", "significant revenue today"),
        SignalInfo("v_potenzial", "value", "Zukunftspotenzial", "future potential"),
        SignalInfo("v_multiplikator", "value", "Multiplikator / KOL", "multiplier / KOL"),
        SignalInfo("v_bindung", "value", "lange Kundenbindung", "long relationship"),
    )
}

RELATIONSHIP_SIGNALS: tuple[str, ...] = tuple(k for k, v in CATALOGUE.items() if v.polarity != "value")
VALUE_SIGNALS: tuple[str, ...] = tuple(k for k, v in CATALOGUE.items() if v.polarity == "value")
ALL_SIGNALS: tuple[str, ...] = tuple(CATALOGUE)


def polarity_of(signal_id: str) -> Polarity:
    return CATALOGUE[signal_id].polarity


def agrees_with_verdict(signal_id: str, relationship: str, level: str) -> bool:
    """Whether a found signal is shown beside this verdict. A Kunde's Patient readings (and the reverse)
    were outweighed, and listing them would contradict the label; a value signal means significant value,
    so it only stands beside a high or middle level."""
    polarity = CATALOGUE[signal_id].polarity
    if polarity == "value":
        return level in ("hoch", "mittel")
    return polarity != {"kunde": "patient", "patient": "kunde"}.get(relationship)


# How relationships and value levels are named in replies, per language.
RELATIONSHIP_NAMES: dict[Lang, dict[str, str]] = {
    "de": {"kunde": "Kunde", "patient": "Patient", "unklar": "unklar"},
    "en": {"kunde": "Kunde (customer)", "patient": "Patient", "unklar": "unclear"},
}
VALUE_NAMES: dict[Lang, dict[str, str]] = {
    "de": {"hoch": "hoch", "mittel": "mittel", "niedrig": "niedrig", "unbekannt": "unbekannt"},
    "en": {"hoch": "high", "mittel": "medium", "niedrig": "low", "unbekannt": "unknown"},
}
