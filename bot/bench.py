"""`kundenfokus bench`: the embedded path's figures on this machine, reproducibly, in one command.

Messages come from the project's own training notes and intent examples (scoring/train/), so every run
measures the same inputs; the 1,000 documents for the index figure are generated with a fixed seed.
The Telegram figures run the real PTB Application against the loopback Bot API server from tests/fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.context import Context
from bot.settings import load_settings
from scoring.metrics import percentile

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scoring" / "train"
COLD_NOTE = "Hr. Vogt (Kessler Baustoffe GmbH) will bis Freitag ein Angebot, ca. 2 Mio € p.a."
LIMITS = {
    "cold_start_s": 3.0,
    "rss_mb": 300,
    "debrief_ms_p95": 50,
    "question_ms_p95": 50,
    "e2e_ms_p95": 150,
    "load_errors": 0,
    "index_noop_s": 2.0,
}


def bench_messages(n: int) -> tuple[list[str], list[str]]:
    """Debriefs from the training notes and questions from the intent examples, in a fixed order."""
    notes = [json.loads(line)["text"] for p in sorted((TRAIN / "data").glob("*.jsonl")) for line in p.open()]
    rows = [json.loads(line) for line in (TRAIN / "intents" / "intents.jsonl").open()]
    questions = [r["text"] for r in rows if r["intent"] == "question"]
    rng = random.Random(42)
    return rng.sample(notes, min(n, len(notes))), rng.sample(questions, min(n, len(questions)))


def generate_documents(folder: Path, count: int = 1000, seed: int = 7) -> None:
    """Synthetic team documents: headings and paragraphs recombined from the built-in knowledge base."""
    from knowledge.documents import BUILTIN_DIR

    sentences = [
        s.strip() + "."
        for p in sorted(BUILTIN_DIR.rglob("*.md"))
        for s in p.read_text(encoding="utf-8").split("---", 2)[-1].replace("\n", " ").split(".")
        if len(s.strip()) > 40
    ]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        sections = []
        for h in range(rng.randint(2, 4)):
            body = " ".join(rng.sample(sentences, rng.randint(3, 6)))
            sections.append(f"## Abschnitt {h + 1}\n{body}\n")
        (folder / f"doc-{i:04d}.md").write_text(f"# Team-Dokument {i}\n\n" + "\n".join(sections), encoding="utf-8")


def _ms(values: list[float]) -> tuple[float | None, float | None]:
    return (
        round(percentile(values, 50), 2) if values else None,
        round(percentile(values, 95), 2) if values else None,
    )


def cold_start(data_dir: Path, runs: int) -> float:
    """Wall time of `kundenfokus assess` in a fresh process: start, imports, model, index, first reply."""
    env = {"KUNDENFOKUS_DATA_DIR": str(data_dir), "PATH": str(Path(sys.executable).parent)}
    cmd = [sys.executable, "-m", "bot.cli", "assess", COLD_NOTE]
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # caches settle once, as after any install
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 2)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def rss_after_warmup() -> None:
    """Run in a fresh process: the coach answers a few messages, then the resident memory is printed."""
    from bot.app import App

    app = App(load_settings(openai_api_key=None, openai_base_url=None))
    debriefs, questions = bench_messages(5)
    asyncio.run(coach_latency(app, debriefs, questions))
    print(json.dumps({"rss_mb": rss_mb()}))


def child_rss(data_dir: Path) -> float:
    env = {"KUNDENFOKUS_DATA_DIR": str(data_dir), "PATH": str(Path(sys.executable).parent)}
    code = "from bot.bench import rss_after_warmup; rss_after_warmup()"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["rss_mb"])


async def coach_latency(app: Any, debriefs: list[str], questions: list[str]) -> dict[str, Any]:
    coach = app.coach
    ctx = Context(channel="bench")
    for text in debriefs[:3] + questions[:3]:
        await coach.handle(text, ctx)  # warm-up
    out: dict[str, Any] = {}
    for name, texts in (("debrief", debriefs), ("question", questions)):
        times = []
        for text in texts:
            started = time.perf_counter()
            await coach.handle(text, ctx)
            times.append((time.perf_counter() - started) * 1000)
        out[f"{name}_ms_p50"], out[f"{name}_ms_p95"] = _ms(times)
    return out


async def telegram_figures(data_dir: Path, debriefs: list[str], concurrent: int) -> dict[str, Any]:
    """Update received to sendMessage through PTB and the loopback Bot API; then `concurrent` chats at once."""
    from bot.app import App
    from bot.telegram.main import build_application, running

    if str(ROOT) not in sys.path:  # the loopback server lives with the tests, beside the package
        sys.path.insert(0, str(ROOT))
    from tests.fakes.botapi import TOKEN, FakeBotApi

    api = await FakeBotApi().start()
    settings = load_settings(
        kundenfokus_data_dir=data_dir,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        telegram_allowed_users="*",
        openai_api_key=None,
        openai_base_url=None,
    )
    root = App(settings)
    await root.open()
    app = build_application(settings, root.coach, root.commands, root.store)
    out: dict[str, Any] = {}
    try:
        async with running(app, poll_timeout=5):
            times = []
            for i, text in enumerate(debriefs):
                uid = 10_000 + i % 50
                chat = {"id": uid, "type": "private", "first_name": "Bench"}
                before = len(api.of("sendMessage", uid))
                started = time.perf_counter()
                api.message(chat, {"id": uid, "is_bot": False, "first_name": "Bench"}, text)
                await api.wait_for(lambda uid=uid, before=before: len(api.of("sendMessage", uid)) > before, 30)
                times.append((time.perf_counter() - started) * 1000)
            out["e2e_ms_p50"], out["e2e_ms_p95"] = _ms(times)

            chats = [20_000 + i for i in range(concurrent)]
            started = time.perf_counter()
            for i, uid in enumerate(chats):
                chat = {"id": uid, "type": "private", "first_name": "Load"}
                api.message(chat, {"id": uid, "is_bot": False, "first_name": "Load"}, debriefs[i % len(debriefs)])
            # The fake's wait gives up after its bound; the count below tells what arrived.
            with contextlib.suppress(AssertionError):
                await api.wait_for(lambda: all(api.of("sendMessage", uid) for uid in chats), 120)
            elapsed = time.perf_counter() - started
            answered = sum(1 for uid in chats if api.of("sendMessage", uid))
            failed = [c for c in api.calls if not c.ok]
            out["load_chats"] = concurrent
            out["load_answered"] = answered
            out["load_errors"] = (concurrent - answered) + len(failed) + len(api.violations)
            out["load_throughput_per_s"] = round(answered / elapsed, 1)
    finally:
        await root.close()
        await api.stop()
    return out


def index_figures(work: Path, quick: bool) -> dict[str, Any]:
    from knowledge.embeddings import USEEmbeddings
    from knowledge.index import KnowledgeIndex

    index = KnowledgeIndex(work / "kb" / "chroma", USEEmbeddings())
    out: dict[str, Any] = {
        "index_full_s": round(index.sync().seconds, 2),
        "index_noop_s": round(index.sync().seconds, 2),
    }
    docs = work / "docs"
    count = 100 if quick else 1000
    generate_documents(docs, count)
    bulk = KnowledgeIndex(work / "bulk" / "chroma", USEEmbeddings())
    report = bulk.sync([docs])
    out[f"index_{count}_docs_s"] = round(report.seconds, 2)
    out[f"index_{count}_docs_chunks"] = report.chunks_embedded
    return out


def run_bench(quick: bool = False) -> dict[str, Any]:
    from bot.app import App

    n = 20 if quick else 100
    debriefs, questions = bench_messages(n)
    work = Path(tempfile.mkdtemp(prefix="kundenfokus-bench-"))
    try:
        results: dict[str, Any] = {"machine_cores": __import__("os").cpu_count(), "quick": quick}
        results.update(index_figures(work, quick))
        data = work / "kb"
        results["cold_start_s"] = cold_start(data, 1 if quick else 3)
        app = App(load_settings(kundenfokus_data_dir=data, openai_api_key=None, openai_base_url=None))
        results.update(asyncio.run(coach_latency(app, debriefs, questions)))
        results["rss_mb"] = child_rss(data)
        app.coach.close()
        tg_data = work / "tg"
        shutil.copytree(data, tg_data)
        results.update(asyncio.run(telegram_figures(tg_data, debriefs[: 20 if quick else 50], 100)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["within_limits"] = {
        key: results.get(key) is not None and results[key] <= limit for key, limit in LIMITS.items()
    }
    return results


def format_table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<26}{'value':>12}{'limit':>10}"]
    for key, value in results.items():
        if key == "within_limits":
            continue
        limit = LIMITS.get(key)
        mark = "" if limit is None else ("  ok" if results["within_limits"].get(key) else "  OVER")
        lines.append(f"{key:<26}{value!s:>12}{'' if limit is None else limit:>10}{mark}")
    return "\n".join(lines)
