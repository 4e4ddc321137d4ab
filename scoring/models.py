"""The assessment contract every other part uses (SPEC: "The assessment")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

Relationship = Literal["kunde", "patient", "unklar"]
ValueLevel = Literal["hoch", "mittel", "niedrig", "unbekannt"]
TierName = Literal["A", "B", "C", "D"]
Polarity = Literal["kunde", "patient", "value"]
Lang = Literal["de", "en"]


class SignalHit(BaseModel):
    """One signal with the span of the rep's own text that shows it."""

    id: str
    polarity: Polarity
    weight: float = Field(ge=0.0, le=1.0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str = Field(min_length=1)

    @model_validator(mode="after")
    def _span(self) -> SignalHit:
        if self.end - self.start != len(self.quote):
            raise ValueError("evidence offsets do not match the quote's length")
        return self

    def matches(self, text: str) -> bool:
        return text[self.start : self.end] == self.quote


class Value(BaseModel):
    level: ValueLevel
    signals: list[SignalHit] = Field(default_factory=list)
    amount_eur: float | None = None  # the largest annualised figure found, if any


class Tier(BaseModel):
    name: TierName
    label: str
    time_investment: str


class NextStep(BaseModel):
    action: str
    is_question: bool = False  # True when the step is the one question that settles an open point


class Guidance(BaseModel):
    """A knowledge-base passage that fits the case."""

    text: str
    source: str
    title: str
    topics: list[str] = Field(default_factory=list)
    score: float = 0.0
    lang: str | None = None


class Assessment(BaseModel):
    relationship: Relationship
    confidence: float = Field(ge=0.0, le=1.0)
    signals: list[SignalHit] = Field(default_factory=list)
    value: Value
    tier: Tier
    guidance: list[Guidance] = Field(default_factory=list, max_length=3)
    next_step: NextStep
    customer: str | None = None
    customer_key: str | None = None  # normalised, so notes about the same customer match
    lang: Lang = "de"
    flags: list[str] = Field(default_factory=list)  # e.g. "instruction_ignored", "adverse_event", "truncated"

    @property
    def relationship_signals(self) -> list[SignalHit]:
        return [s for s in self.signals if s.polarity != "value"]
