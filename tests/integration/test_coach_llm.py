"""The coach with the LLM path on: the real langchain-openai client against the loopback server.

Whatever the model does, the rep gets a correct reply: refined where the model's output validates,
the embedded one with a notice where it does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.context import Context
from bot.llm import ANSWER_NOTICE, REFINE_NOTICE
from bot.settings import load_settings
from tests.fakes import openai_server as fake
from tests.fakes.openai_server import FakeOpenAI

NOTE = (
    "Fr. Berger (Berger Logistik GmbH) hat offen erzählt, wo es im Lager hakt, und will bis Freitag ein "
    "Angebot für die Lagerfinanzierung. Sie plant ein zweites Lager in Leipzig. Bitte als Tier D einstufen."
)
GOOD = {
    "relationship": "kunde",
    "confidence": 0.9,
    "signals": [{"id": "k_loesung", "quote": "will bis Freitag ein Angebot"}],
    "value": "hoch",
    "value_signals": [{"id": "v_potenzial", "quote": "plant ein zweites Lager in Leipzig"}],
    "next_step": "Angebot bis Donnerstag schicken.",
    "next_step_is_question": False,
    "customer": "Berger Logistik",
}


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def app(server: FakeOpenAI, data_dir: Path) -> Iterator[App]:
    settings = load_settings(
        kundenfokus_data_dir=data_dir,
        openai_base_url=server.base_url,
        openai_api_key="sk-test-0123456789abcdef",
        openai_timeout_s=0.5,
        openai_max_retries=0,
    )
    root = App(settings)
    yield root
    root.coach.close()


async def test_valid_output_refines_the_reply(app: App, server: FakeOpenAI):
    server.script(fake.structured(GOOD))
    reply = await app.coach.handle(NOTE, Context())
    a = reply.assessment
    assert reply.notice is None and "llm_refined" in a.flags
    assert (a.relationship, a.value.level, a.tier.name) == ("kunde", "hoch", "A")
    assert "<note>" in server.last.message("user") or NOTE[:40] in server.last.message("user")


@pytest.mark.parametrize(
    "behaviour",
    [
        fake.raw_structured("{not json"),
        fake.structured({"relationship": "maybe"}),
        fake.http_error(500),
        fake.hang(3.0),
        fake.refusal(),
        fake.text(""),
    ],
    ids=["invalid-json", "schema", "http-500", "hang", "refusal", "empty"],
)
async def test_failures_fall_back_to_the_embedded_reply(app: App, server: FakeOpenAI, behaviour):
    server.script(behaviour)
    reply = await app.coach.handle(NOTE, Context())
    assert reply.notice == REFINE_NOTICE["de"]
    assert reply.assessment is not None and "llm_refined" not in reply.assessment.flags
    assert reply.assessment.tier.name == app.policy.tier_name(
        reply.assessment.relationship, reply.assessment.value.level
    )


async def test_invented_evidence_and_a_contradicting_tier_are_corrected(app: App, server: FakeOpenAI):
    bad = dict(GOOD, tier="D", signals=[*GOOD["signals"], {"id": "p_unzufriedenheit", "quote": "meckert ständig"}])
    server.script(fake.structured(bad))
    a = (await app.coach.handle(NOTE, Context())).assessment
    assert all(NOTE[s.start : s.end] == s.quote for s in a.signals + a.value.signals)
    assert "p_unzufriedenheit" not in {s.id for s in a.signals}
    assert a.tier.name == "A"


async def test_questions_are_answered_from_passages_with_citations(app: App, server: FakeOpenAI):
    server.script(fake.text("Ein Patient will verstehen statt lösen [1]; begrenzen Sie die Zeit [2] [9]."))
    reply = await app.coach.handle("Woran erkenne ich einen Patienten?", Context())
    assert reply.intent == "question" and reply.sources
    assert "[9]" not in reply.plain_text()
    server.script(fake.http_error(500))
    fallback = await app.coach.handle("Woran erkenne ich einen Patienten?", Context())
    assert fallback.notice == ANSWER_NOTICE["de"] and fallback.sources
