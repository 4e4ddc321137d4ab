"""The tier policy as data: relationship x value -> tier, validated when it is loaded."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from typing import get_args

from pydantic import BaseModel, Field, ValidationError, model_validator

from scoring.models import Lang, Relationship, Tier, TierName, ValueLevel


class PolicyError(ValueError):
    """A policy file that cannot be used; the message says what is wrong."""


class TierSpec(BaseModel):
    name_de: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    time_de: str = Field(min_length=1)
    time_en: str = Field(min_length=1)
    minutes_per_month: int = Field(ge=0, le=10_000)


class Policy(BaseModel):
    matrix: dict[Relationship, dict[ValueLevel, TierName]]
    tiers: dict[TierName, TierSpec]

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        for rel in get_args(Relationship):
            row = self.matrix.get(rel)
            if row is None:
                raise ValueError(f"matrix has no row for relationship {rel!r}")
            missing = [v for v in get_args(ValueLevel) if v not in row]
            if missing:
                raise ValueError(f"matrix.{rel} lacks value level(s) {', '.join(missing)}")
        missing_tiers = [t for t in get_args(TierName) if t not in self.tiers]
        if missing_tiers:
            raise ValueError(f"tiers lacks {', '.join(missing_tiers)}")
        return self

    def tier_name(self, relationship: Relationship, value: ValueLevel) -> TierName:
        return self.matrix[relationship][value]

    def tier(self, relationship: Relationship, value: ValueLevel, lang: Lang = "de") -> Tier:
        return self.describe(self.tier_name(relationship, value), lang)

    def describe(self, name: TierName, lang: Lang = "de") -> Tier:
        spec = self.tiers[name]
        if lang == "de":
            return Tier(name=name, label=spec.name_de, time_investment=spec.time_de)
        return Tier(name=name, label=spec.name_en, time_investment=spec.time_en)


def parse_policy(text: str, origin: str = "policy") -> Policy:
    """Parse and validate a policy given as TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: not valid TOML ({exc})") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise PolicyError(f"{origin}: {details}") from None


def default_policy_text() -> str:
    return resources.files("scoring").joinpath("policy.toml").read_text(encoding="utf-8")


_DEFAULT: Policy | None = None


def default_policy() -> Policy:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = parse_policy(default_policy_text(), "scoring/policy.toml")
    return _DEFAULT


def load_policy_file(path: str | os.PathLike[str]) -> Policy:
    """A team's own policy file; errors name the file and the problem."""
    try:
        text = open(path, encoding="utf-8").read()  # noqa: SIM115 - the one read of a team's file
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_policy(text, str(path))
