"""One concrete next step per case; where something is unclear, the one question that settles it."""

from __future__ import annotations

from scoring.models import Lang, NextStep, Relationship, TierName, ValueLevel

# Where the relationship is unclear: the decision question separates a Kunde (answers with a path to a
# decision) from a Patient (explains why it is complicated).
_ASK_DECISION = {
    "de": "Stellen Sie beim nächsten Kontakt die Entscheidungsfrage: „Wenn wir Ihnen bis {when} einen "
    "konkreten Vorschlag machen – was bräuchten Sie, um dann zu entscheiden?“ Ein Kunde nennt den Weg "
    "zur Entscheidung, ein Patient weicht aus.",
    "en": 'At the next contact, ask the decision question: "If we bring you a concrete proposal by {when}, '
    'what would you need to decide then?" A Kunde names the path to a decision; a Patient dodges it.',
}
_ASK_GOAL = {
    "de": "Fragen Sie beim nächsten Kontakt: „Was wollen Sie in den nächsten 12 Monaten erreichen, und wo "
    "können wir dabei konkret helfen?“ Die Antwort zeigt, ob es um eine Lösung geht.",
    "en": 'At the next contact, ask: "What do you want to achieve in the next 12 months, and where exactly '
    'can we help?" The answer shows whether they want a solution.',
}
_ASK_VALUE = {
    "de": "Klären Sie den Wert mit einer Frage: „Welches Volumen planen Sie in diesem Bereich für die "
    "nächsten 12 Monate, und welche Projekte oder Investitionen stehen an?“",
    "en": 'Settle the value with one question: "What volume do you plan in this area for the next '
    '12 months, and which projects or investments are coming up?"',
}
_TIER_ACTION: dict[str, dict[Lang, str]] = {
    "A": {
        "de": "Vereinbaren Sie innerhalb von 2 Wochen einen vorbereiteten Termin, binden Sie einen "
        "Spezialisten ein und bringen Sie einen konkreten Umsetzungsplan mit.",
        "en": "Within 2 weeks, set up a prepared meeting, bring a specialist along and put a concrete "
        "implementation plan on the table.",
    },
    "A_solution": {
        "de": "Liefern Sie das Gewünschte schnell und vollständig (Angebot, Plan, Termin) und legen Sie "
        "dabei gleich den nächsten Termin in 2-4 Wochen fest.",
        "en": "Deliver what was asked for quickly and completely (offer, plan, meeting) and fix the next "
        "meeting in 2-4 weeks while you are at it.",
    },
    "B": {
        "de": "Qualifizieren Sie das Potenzial: Termin in 4-8 Wochen mit einem gezielten Angebot zum "
        "wichtigsten Bedarf, den der Kunde genannt hat.",
        "en": "Qualify the potential: a meeting in 4-8 weeks with a targeted offer for the most important "
        "need the customer named.",
    },
    "C": {
        "de": "Effizient betreuen: nächster Kontakt in etwa einem Quartal über einen standardisierten oder "
        "digitalen Kanal; Termine kurz und mit klarer Agenda.",
        "en": "Serve efficiently: next contact in about a quarter through a standard or digital channel; "
        "keep meetings short with a clear agenda.",
    },
    "C_patient": {
        "de": "Setzen Sie einen klaren Rahmen: ein Termin pro Quartal mit fester Agenda und Entscheidungspunkt; "
        "Grundsatzdiskussionen verweisen Sie auf schriftliche Unterlagen.",
        "en": "Set a clear frame: one meeting a quarter with a fixed agenda and a decision point; refer "
        "debates of principle to written material.",
    },
    "D": {
        "de": "Setzen Sie Grenzen: keine proaktiven Termine mehr, Anfragen nur reaktiv und schriftlich "
        "beantworten; prüfen Sie eine Übergabe an den Innendienst oder das Ende der Beziehung.",
        "en": "Set boundaries: no more proactive meetings, answer requests only reactively and in writing; "
        "consider handing over to inside sales or ending the relationship.",
    },
}


def choose_next_step(
    relationship: Relationship, value: ValueLevel, tier: TierName, signal_ids: set[str], lang: Lang
) -> NextStep:
    if relationship == "unklar":
        has_kunde = any(s.startswith("k_") for s in signal_ids)
        has_patient = any(s.startswith("p_") for s in signal_ids)
        template = _ASK_DECISION[lang] if (has_kunde or has_patient) else _ASK_GOAL[lang]
        when = "Ende nächsten Monats" if lang == "de" else "the end of next month"
        return NextStep(action=template.format(when=when), is_question=True)
    if value == "unbekannt" and relationship == "kunde":
        return NextStep(action=_ASK_VALUE[lang], is_question=True)
    key: str = tier
    if tier == "A" and "k_loesung" in signal_ids:
        key = "A_solution"
    elif tier == "C" and relationship == "patient":
        key = "C_patient"
    return NextStep(action=_TIER_ACTION[key][lang])
