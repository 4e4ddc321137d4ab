"""The slash commands as a Telegram-free service: each method returns a `Reply` in the user's language."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

from bot.context import Context
from bot.replies import Action, Attachment, Block, Reply
from bot.settings import Settings
from bot.store import FEEDBACK_VALUES, Store, StoredAssessment
from scoring.customer import customer_key
from scoring.models import Lang
from scoring.policy import Policy
from scoring.signals import RELATIONSHIP_NAMES, VALUE_NAMES


def normalise_customer(name: str) -> str:
    """The same key the scorer stores, so '/kunde Müller GmbH' finds notes about '#MuellerGmbH'."""
    return customer_key(name) or ""


@dataclass(frozen=True)
class CommandInfo:
    de: str  # the German command name (also what set_my_commands shows in German)
    en: str
    help_de: str
    help_en: str


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("start", "start", "Kurzvorstellung", "What this bot does"),
    CommandInfo("help", "help", "Hilfe und alle Befehle", "Help and all commands"),
    CommandInfo("bewerten", "assess", "<Notiz> Gesprächsnotiz bewerten", "<note> Assess a call note"),
    CommandInfo("frage", "ask", "<Frage> Coaching-Frage stellen", "<question> Ask a coaching question"),
    CommandInfo("kunde", "customer", "<Name> Verlauf eines Kunden", "<name> A customer's history"),
    CommandInfo(
        "portfolio", "portfolio", "Meine Kunden nach Stufe, Zeit pro Monat", "My customers by tier, time per month"
    ),
    CommandInfo("sprache", "language", "Sprache: de oder en", "Language: de or en"),
    CommandInfo("daten", "privacy", "Was über mich gespeichert ist", "What is stored about me"),
    CommandInfo("vergessen", "forget", "Alle meine Daten löschen", "Delete all my data"),
    CommandInfo("export", "export", "Meine Daten als JSON-Datei", "My data as a JSON file"),
)

REL = RELATIONSHIP_NAMES
VAL = VALUE_NAMES
FEEDBACK_LABEL = {
    "de": {"ok": "passt", "kunde": "eher Kunde", "patient": "eher Patient"},
    "en": {"ok": "fits", "kunde": "more a customer", "patient": "more a patient"},
}
TREND = {
    "de": {
        "up": "verbessert sich ⬆",
        "down": "verschlechtert sich ⬇",
        "flat": "stabil ➡",
        "one": "erst eine Bewertung, noch kein Trend",
    },
    "en": {
        "up": "improving ⬆",
        "down": "worsening ⬇",
        "flat": "stable ➡",
        "one": "only one assessment so far, no trend yet",
    },
}
_TIER_RANK = {"A": 3, "B": 2, "C": 1, "D": 0}
_REL_RANK = {"kunde": 1, "unklar": 0, "patient": -1}
MAX_HISTORY = 200  # rows shown by /kunde; older ones are counted, not listed

T: dict[str, dict[Lang, str]] = {
    "intro": {
        "de": "Ich helfe Ihnen zu entscheiden, mit wem Sie Ihre knappe Zeit teilen: Kunde oder Patient? "
        "Schreiben Sie mir nach einem Termin in ein paar Sätzen, wie das Gespräch lief. Sie bekommen "
        "eine Einschätzung (Kunde/Patient, Wert, Stufe A-D mit Zeitempfehlung) und den nächsten "
        "Schritt. Oder stellen Sie mir eine Coaching-Frage.",
        "en": "I help you decide with whom to share your scarce time: customer or patient? After a call, "
        "tell me in a few sentences how it went. You get an assessment (customer/patient, value, "
        "tier A-D with a time recommendation) and the next step. Or ask me a coaching question.",
    },
    "groups": {
        "de": "In Gruppen antworte ich nur auf Befehle, Erwähnungen und Antworten auf meine Nachrichten.",
        "en": "In groups I only react to commands, mentions and replies to my messages.",
    },
    "commands": {"de": "Befehle", "en": "Commands"},
    "local": {"de": "Für die lokale Nutzung wird nichts gespeichert.", "en": "Nothing is stored for local use."},
    "kunde_usage": {
        "de": "Bitte einen Namen angeben, z. B. /kunde Müller GmbH",
        "en": "Please give a name, e.g. /customer Miller Ltd",
    },
    "known": {"de": "Ihre Kunden", "en": "Your customers"},
    "no_history": {
        "de": "Zu „{name}“ habe ich noch keine Bewertung von Ihnen.",
        "en": "I have no assessment of yours for \u201c{name}\u201d yet.",
    },
    "history": {"de": "{name}: {n} Bewertung(en)", "en": "{name}: {n} assessment(s)"},
    "older": {"de": "… und {n} ältere", "en": "… and {n} older"},
    "trend": {"de": "Trend: {trend}", "en": "Trend: {trend}"},
    "tier": {"de": "Stufe", "en": "tier"},
    "value": {"de": "Wert", "en": "value"},
    "feedback": {"de": "Ihr Feedback", "en": "your feedback"},
    "pf_empty": {
        "de": "Noch keine Kunden mit Namen bewertet. Nennen Sie in Ihrer Notiz den Kunden, "
        "dann baue ich Ihr Portfolio auf.",
        "en": "No named customers assessed yet. Name the customer in your note and I will build your portfolio.",
    },
    "pf_title": {"de": "Ihr Portfolio: {n} Kunden", "en": "Your portfolio: {n} customers"},
    "pf_tier": {
        "de": "Stufe {t} – {label}: {n} × {m} min = {total} pro Monat",
        "en": "Tier {t} – {label}: {n} × {m} min = {total} per month",
    },
    "pf_total": {
        "de": "Empfohlene Zeit insgesamt: {total} pro Monat",
        "en": "Recommended time in total: {total} per month",
    },
    "lang_ask": {"de": "Welche Sprache?", "en": "Which language?"},
    "lang_set": {"de": "Ich antworte Ihnen ab jetzt auf Deutsch.", "en": "I will reply in English from now on."},
    "forget_ask": {
        "de": "Wirklich alle Ihre gespeicherten Daten löschen ({n} Bewertungen, Feedback, "
        "Spracheinstellung)? Das lässt sich nicht rückgängig machen.",
        "en": "Really delete all your stored data ({n} assessments, feedback, language "
        "setting)? This cannot be undone.",
    },
    "forget_yes": {"de": "Ja, alles löschen", "en": "Yes, delete everything"},
    "forget_no": {"de": "Abbrechen", "en": "Cancel"},
    "forgotten": {
        "de": "Erledigt: {n} Einträge gelöscht. Über Sie ist jetzt nichts mehr gespeichert.",
        "en": "Done: {n} entries deleted. Nothing about you is stored any more.",
    },
    "kept": {"de": "Abgebrochen, nichts wurde gelöscht.", "en": "Cancelled, nothing was deleted."},
    "export": {
        "de": "Ihre Daten: {n} Bewertungen, als JSON-Datei.",
        "en": "Your data: {n} assessments, as a JSON file.",
    },
}

PRIVACY: dict[Lang, dict[str, str]] = {
    "de": {
        "title": "Was über Sie gespeichert ist",
        "per": "Pro Bewertung: Ihre Telegram-ID, die Chat-ID, der Kundenname (normalisiert), Kunde/Patient "
        "mit Sicherheit, Wert, Stufe, die erkannten Signal-IDs, der Zeitpunkt und Ihr Feedback.",
        "user": "Über Sie: Ihre Spracheinstellung, und falls Sie keinen Zugang hatten, das Datum der Absage.",
        "notes_off": "Den Text Ihrer Notiz speichere ich nicht (Datensparsamkeit; STORE_NOTES ist aus).",
        "notes_on": "Der Betreiber hat STORE_NOTES=true gesetzt: Der Text Ihrer Notizen wird mitgespeichert.",
        "ae": "Notizen mit Hinweis auf eine mögliche Nebenwirkung werden nie im Wortlaut gespeichert.",
        "llm_on": "Zur Auswertung wird Ihre Notiz an das konfigurierte Sprachmodell ({host}) geschickt.",
        "llm_off": "Ihre Notizen werden nur auf diesem Server ausgewertet; kein externes Sprachmodell.",
        "who": "Über den Bot sehen nur Sie Ihre Daten (/kunde, /portfolio, /export). Zugriff auf die "
        "Datenbank hat nur der Betreiber dieses Bots. Die Daten bleiben, bis Sie sie löschen.",
        "now": "Derzeit gespeichert: {n} Bewertung(en), Sprache: {lang}.",
        "how": "Löschen: /vergessen · Herunterladen: /export",
    },
    "en": {
        "title": "What is stored about you",
        "per": "Per assessment: your Telegram id, the chat id, the customer name (normalised), customer/"
        "patient with confidence, value, tier, the signal ids found, the time and your feedback.",
        "user": "About you: your language setting, and if you were refused access, the date of the refusal.",
        "notes_off": "I do not store the text of your note (data minimisation; STORE_NOTES is off).",
        "notes_on": "The operator set STORE_NOTES=true: the text of your notes is stored as well.",
        "ae": "Notes that mention a possible side effect are never stored verbatim.",
        "llm_on": "To assess it, your note is sent to the configured language model ({host}).",
        "llm_off": "Your notes are assessed on this server only; no external language model.",
        "who": "Through the bot only you see your data (/customer, /portfolio, /export). Only the operator "
        "of this bot has access to the database. The data stays until you delete it.",
        "now": "Stored now: {n} assessment(s), language: {lang}.",
        "how": "Delete: /forget · Download: /export",
    },
}


def _t(key: str, lang: Lang, **kw: object) -> str:
    return T[key][lang].format(**kw)


def format_minutes(minutes: int, lang: Lang) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    unit = "Std." if lang == "de" else "h"
    return f"{hours} {unit} {rest} min" if rest else f"{hours} {unit}"


def trend(rows: list[StoredAssessment]) -> str:
    """'up', 'down', 'flat' (latest against the one before) or 'one'."""
    if len(rows) < 2:
        return "one"

    def score(r: StoredAssessment) -> tuple[int, int]:
        return _TIER_RANK.get(r.tier, 0), _REL_RANK.get(r.relationship, 0)

    last, before = score(rows[-1]), score(rows[-2])
    return "up" if last > before else "down" if last < before else "flat"


class Commands:
    """Everything behind the slash commands except assessing and asking (that is the coach)."""

    def __init__(self, store: Store, policy: Policy, settings: Settings) -> None:
        self.store = store
        self.policy = policy
        self.settings = settings

    async def lang_for(self, ctx: Context) -> Lang:
        if ctx.lang:
            return ctx.lang
        if ctx.user_id is not None:
            stored = await self.store.get_lang(ctx.user_id)
            if stored in ("de", "en"):
                return stored  # type: ignore[return-value]
        return self.settings.kundenfokus_lang

    def command_list(self, lang: Lang) -> list[tuple[str, str]]:
        """(name, description) pairs for set_my_commands and /help."""
        return [(c.de, c.help_de) if lang == "de" else (c.en, c.help_en) for c in COMMANDS]

    async def start(self, ctx: Context) -> Reply:
        """/start and /help: what the bot does and the commands."""
        lang = await self.lang_for(ctx)
        lines = [f"/{name} – {desc}" for name, desc in self.command_list(lang)]
        return Reply(
            intent="command",
            lang=lang,
            blocks=[
                Block(kind="title", text="Kundenfokus"),
                Block(text=_t("intro", lang)),
                Block(kind="title", text=_t("commands", lang)),
                Block(kind="bullets", items=lines),
                Block(text=_t("groups", lang)),
            ],
        )

    help = start

    async def customer(self, name: str, ctx: Context) -> Reply:
        """/kunde <name>: the customer's assessments over time, and the trend."""
        lang = await self.lang_for(ctx)
        if ctx.user_id is None:
            return self._text(lang, _t("local", lang))
        name = " ".join(name.split())
        key = normalise_customer(name) if name else ""
        if not key:
            known = sorted(
                {r.customer_display or r.customer_key or "" for r in await self.store.portfolio(ctx.user_id)} - {""}
            )
            blocks = [Block(text=_t("kunde_usage", lang))]
            if known:
                blocks += [Block(kind="title", text=_t("known", lang)), Block(kind="bullets", items=known)]
            return Reply(intent="command", lang=lang, blocks=blocks)
        rows = await self.store.customer_history(ctx.user_id, key)
        if not rows:
            return self._text(lang, _t("no_history", lang, name=name))
        shown = rows[-MAX_HISTORY:]
        items = [self._row_line(r, lang) for r in shown]
        if len(rows) > len(shown):
            items.insert(0, _t("older", lang, n=len(rows) - len(shown)))
        display = rows[-1].customer_display or name
        return Reply(
            intent="command",
            lang=lang,
            blocks=[
                Block(kind="title", text=_t("history", lang, name=display, n=len(rows))),
                Block(kind="bullets", items=items),
                Block(text=_t("trend", lang, trend=TREND[lang][trend(rows)])),
            ],
        )

    def _row_line(self, r: StoredAssessment, lang: Lang) -> str:
        when = r.created_at.strftime("%d.%m.%Y" if lang == "de" else "%Y-%m-%d")
        line = (
            f"{when} · {REL[lang].get(r.relationship, r.relationship)} ({r.confidence:.0%}) · "
            f"{_t('value', lang)} {VAL[lang].get(r.value, r.value)} · {_t('tier', lang)} {r.tier}"
        )
        if r.feedback:
            line += f" · {_t('feedback', lang)}: {FEEDBACK_LABEL[lang].get(r.feedback, r.feedback)}"
        return line

    async def portfolio(self, ctx: Context) -> Reply:
        """/portfolio: customers by tier, recommended minutes per month per tier and in total."""
        lang = await self.lang_for(ctx)
        if ctx.user_id is None:
            return self._text(lang, _t("local", lang))
        rows = await self.store.portfolio(ctx.user_id)
        if not rows:
            return self._text(lang, _t("pf_empty", lang))
        blocks = [Block(kind="title", text=_t("pf_title", lang, n=len(rows)))]
        total = 0
        for tier_name in ("A", "B", "C", "D"):
            members = [r for r in rows if r.tier == tier_name]
            if not members:
                continue
            spec = self.policy.tiers[tier_name]  # type: ignore[index]
            minutes = spec.minutes_per_month * len(members)
            total += minutes
            label = spec.name_de if lang == "de" else spec.name_en
            blocks.append(
                Block(
                    kind="title",
                    text=_t(
                        "pf_tier",
                        lang,
                        t=tier_name,
                        label=label,
                        n=len(members),
                        m=spec.minutes_per_month,
                        total=format_minutes(minutes, lang),
                    ),
                )
            )
            blocks.append(
                Block(
                    kind="bullets",
                    items=[
                        f"{r.customer_display or r.customer_key} ({REL[lang].get(r.relationship, r.relationship)})"
                        for r in members
                    ],
                )
            )
        blocks.append(Block(kind="hint", text=_t("pf_total", lang, total=format_minutes(total, lang))))
        return Reply(intent="command", lang=lang, blocks=blocks)

    async def language(self, arg: str, ctx: Context) -> Reply:
        """/sprache de|en: sets the reply language; without a valid argument offers buttons."""
        choice: Lang | None = {
            "de": "de",
            "deutsch": "de",
            "german": "de",
            "en": "en",
            "english": "en",
            "englisch": "en",
        }.get(arg.strip().casefold())  # type: ignore[assignment]
        if choice is None:
            asked = await self.lang_for(ctx)
            return Reply(
                intent="command",
                lang=asked,
                blocks=[Block(text=_t("lang_ask", asked))],
                actions=[Action(label="Deutsch", data="lang:de"), Action(label="English", data="lang:en")],
            )
        lang: Lang = choice
        if ctx.user_id is not None:
            await self.store.set_lang(ctx.user_id, lang)
        return self._text(lang, _t("lang_set", lang))

    async def privacy(self, ctx: Context) -> Reply:
        """/daten: exactly what is stored about the user, and what is not."""
        lang = await self.lang_for(ctx)
        p = PRIVACY[lang]
        items = [p["per"], p["user"], p["notes_on"] if self.settings.store_notes else p["notes_off"], p["ae"]]
        if self.settings.llm_enabled:
            host = urlparse(self.settings.openai_base_url or "https://api.openai.com").hostname or "?"
            items.append(p["llm_on"].format(host=host))
        else:
            items.append(p["llm_off"])
        items.append(p["who"])
        blocks = [Block(kind="title", text=p["title"]), Block(kind="bullets", items=items)]
        if ctx.user_id is not None:
            n = await self.store.count_assessments(ctx.user_id)
            stored_lang = await self.store.get_lang(ctx.user_id)
            blocks.append(Block(text=p["now"].format(n=n, lang=stored_lang or "–")))
        blocks.append(Block(text=p["how"]))
        return Reply(intent="command", lang=lang, blocks=blocks)

    async def forget_prompt(self, ctx: Context) -> Reply:
        """/vergessen: asks for confirmation with a button bound to this user."""
        lang = await self.lang_for(ctx)
        if ctx.user_id is None:
            return self._text(lang, _t("local", lang))
        n = await self.store.count_assessments(ctx.user_id)
        # The user id is in the button, so nobody else in a group can confirm someone's deletion.
        return Reply(
            intent="command",
            lang=lang,
            blocks=[Block(text=_t("forget_ask", lang, n=n))],
            actions=[
                Action(label=_t("forget_yes", lang), data=f"fg:{ctx.user_id}:yes"),
                Action(label=_t("forget_no", lang), data=f"fg:{ctx.user_id}:no"),
            ],
        )

    async def forget_confirm(self, ctx: Context) -> Reply:
        """Performs /vergessen after the confirmation button."""
        lang = await self.lang_for(ctx)  # read before the language setting is deleted too
        if ctx.user_id is None:
            return self._text(lang, _t("local", lang))
        n = await self.store.forget(ctx.user_id)
        return self._text(lang, _t("forgotten", lang, n=n))

    async def forget_cancel(self, ctx: Context) -> Reply:
        lang = await self.lang_for(ctx)
        return self._text(lang, _t("kept", lang))

    async def export(self, ctx: Context) -> Reply:
        """/export: everything stored about the user as a JSON attachment."""
        lang = await self.lang_for(ctx)
        if ctx.user_id is None:
            return self._text(lang, _t("local", lang))
        data = await self.store.user_data(ctx.user_id)
        now = datetime.now(UTC)
        payload = {"exported_at": now.isoformat(), "format": "kundenfokus-export/1", **data}
        content = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
        return Reply(
            intent="command",
            lang=lang,
            blocks=[Block(text=_t("export", lang, n=len(data["assessments"])))],
            attachment=Attachment(filename=f"kundenfokus-export-{now:%Y%m%d}.json", content=content),
        )

    async def feedback(self, assessment_id: int, verdict: str, ctx: Context) -> bool:
        """Stores a feedback button press; False when the row is not the user's (or is gone)."""
        if ctx.user_id is None or verdict not in FEEDBACK_VALUES:
            return False
        return await self.store.set_feedback(assessment_id, ctx.user_id, verdict)  # type: ignore[arg-type]

    @staticmethod
    def _text(lang: Lang, text: str) -> Reply:
        return Reply(intent="command", lang=lang, blocks=[Block(text=text)])
