"""Check training-note files against GUIDELINES.md; prints one line per problem and a summary."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

RELATIONSHIP = {"kunde", "patient", "unklar"}
VALUE = {"hoch", "mittel", "niedrig", "unbekannt"}
REL_SIGNALS = {
    "k_verstanden",
    "k_vertrauen",
    "k_wertschaetzung",
    "k_augenhoehe",
    "k_loesung",
    "k_langfristig",
    "p_problemfokus",
    "p_wettbewerb",
    "p_externe_quellen",
    "p_bestaetigung",
    "p_unzufriedenheit",
    "p_verantwortung",
}
VALUE_SIGNALS = {"v_umsatz", "v_potenzial", "v_multiplikator", "v_bindung"}
REQUIRED = {"id", "lang", "text", "label", "value", "signals", "value_signals"}


def check_row(row: dict, where: str) -> list[str]:
    problems = []
    missing = REQUIRED - row.keys()
    if missing:
        return [f"{where}: missing keys {sorted(missing)}"]
    text = row["text"]
    if row["lang"] not in {"de", "en"}:
        problems.append(f"{where}: lang must be de or en")
    if row["label"] not in RELATIONSHIP:
        problems.append(f"{where}: label {row['label']!r}")
    if row["value"] not in VALUE:
        problems.append(f"{where}: value {row['value']!r}")
    for key, allowed in (("signals", REL_SIGNALS), ("value_signals", VALUE_SIGNALS)):
        seen = set()
        for hit in row[key]:
            if not isinstance(hit, dict) or "id" not in hit or "quote" not in hit:
                problems.append(f"{where}: {key} entries must be {{id, quote}}")
                continue
            if hit["id"] not in allowed:
                problems.append(f"{where}: unknown {key} id {hit['id']!r}")
            if hit["id"] in seen:
                problems.append(f"{where}: {hit['id']} listed twice")
            seen.add(hit["id"])
            if not hit["quote"] or hit["quote"] not in text:
                problems.append(f"{where}: quote for {hit['id']} is not in text: {hit['quote']!r}")
    return problems


def main(paths: list[str]) -> int:
    ids: Counter[str] = Counter()
    n = 0
    problems: list[str] = []
    for path in paths:
        for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: invalid JSON ({exc})")
                continue
            n += 1
            ids[row.get("id", "")] += 1
            problems.extend(check_row(row, where))
    problems.extend(f"duplicate id {i}" for i, c in ids.items() if c > 1)
    for p in problems:
        print(p)
    print(f"{n} notes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
