"""The few Telegram-only texts (refusal, apology, button answers), in German and English."""

from __future__ import annotations

from scoring.models import Lang

TEXTS: dict[str, dict[Lang, str]] = {
    "refusal": {
        "de": "Entschuldigung, dieser Assistent ist nur für ein bestimmtes Team freigeschaltet. "
        "Wenn Sie dazugehören, bitten Sie den Betreiber, Ihre Telegram-ID ({user_id}) freizuschalten.",
        "en": "Sorry, this assistant is only enabled for a particular team. If you belong to it, ask "
        "the operator to allow your Telegram id ({user_id}).",
    },
    "apology": {
        "de": "Entschuldigung, da ist bei mir etwas schiefgegangen. Bitte versuchen Sie es gleich noch einmal.",
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
    },
    "fb_thanks": {"de": "Danke! Gespeichert: {label}", "en": "Thanks! Saved: {label}"},
    "fb_not_yours": {
        "de": "Diese Bewertung gehört nicht Ihnen oder wurde gelöscht.",
        "en": "This assessment is not yours, or it was deleted.",
    },
    "not_yours": {"de": "Diese Schaltfläche ist für jemand anderen.", "en": "This button is for someone else."},
    "stale": {"de": "Diese Schaltfläche gilt nicht mehr.", "en": "This button is no longer valid."},
    "usage_assess": {
        "de": "Bitte die Notiz direkt dahinter schreiben, z. B. /bewerten Termin bei Müller: ...",
        "en": "Please write the note right after it, e.g. /assess Call with Miller: ...",
    },
    "usage_ask": {
        "de": "Bitte die Frage direkt dahinter schreiben, z. B. /frage Was macht einen KOL aus?",
        "en": "Please write the question right after it, e.g. /ask What makes a KOL?",
    },
    "unknown": {
        "de": "Diesen Befehl kenne ich nicht. /help zeigt alle.",
        "en": "I don't know that command. /help lists them all.",
    },
    "private_only": {
        "de": "Aus Datenschutzgründen geht das nur im privaten Chat mit mir.",
        "en": "For privacy reasons this only works in a private chat with me.",
    },
    "admins_only": {"de": "Nur für Administratoren.", "en": "For administrators only."},
    "reindex_off": {"de": "Neu-Indexieren ist hier nicht eingerichtet.", "en": "Re-indexing is not set up here."},
    "reindex_done": {"de": "Index aktualisiert. {result}", "en": "Index updated. {result}"},
    "text_only": {
        "de": "Ich lese nur Text. Beschreiben Sie das Gespräch bitte in ein paar Sätzen.",
        "en": "I only read text. Please describe the conversation in a few sentences.",
    },
}


def text(key: str, lang: Lang, **kw: object) -> str:
    return TEXTS[key][lang].format(**kw)


def lang_of(language_code: str | None, default: Lang = "de") -> Lang:
    """Telegram's client language as a hint, for users who have not chosen one with /sprache."""
    if not language_code:
        return default
    return "de" if language_code.lower().startswith("de") else "en"
