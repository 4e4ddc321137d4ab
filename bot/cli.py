"""The `kundenfokus` command line: chat, serve, assess, ask, index, eval, bench."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import SettingsError

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Kunde oder Patient? Coaching for B2B sales reps.",
)


def _app(warm: bool = False):  # noqa: ANN202 - returns bot.app.App; imported late so `--help` stays instant
    """The composition root; with `warm`, the model loads in the background while the index opens."""
    from bot.app import App
    from bot.logs import setup_logging

    app = App()
    setup_logging(app.settings.log_level)
    if warm:
        app.warm_up()
        app.index.store  # noqa: B018 - imports and opens Chroma meanwhile, on this thread
    return app


def _read_text(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


@cli.command()
def index(
    paths: Annotated[list[Path] | None, typer.Argument(help="Your own Markdown, text or PDF files or folders")] = None,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Only build when no index exists")] = False,
) -> None:
    """Index the built-in knowledge base plus your own documents (incremental)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    app = _app()
    for p in paths or []:
        if not p.exists():
            typer.secho(f"Not found: {p}", fg="red", err=True)
            raise typer.Exit(2)
    if if_missing and not paths and app.index.exists():
        typer.echo(f"Index present ({app.index.count()} chunks) under {app.settings.index_dir}.")
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True) as bar:
        task = bar.add_task("Embedding", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = app.index.sync(paths or [], progress=progress)
    for failure in report.failed:
        typer.secho(f"skipped: {failure}", fg="yellow", err=True)
    typer.echo(report.summary())


@cli.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question; - reads stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    k: Annotated[int, typer.Option("-k", min=1, max=10, help="How many passages")] = 3,
) -> None:
    """Answer a coaching question from the knowledge base, with sources."""
    import asyncio

    from bot.console import render_terminal
    from bot.context import Context

    app = _app(warm=True)
    text = _read_text(question)
    passages = app.retriever.search(text, k=k)
    reply = asyncio.run(app.coach.ask(text, Context(channel="cli")))
    if as_json:
        payload = {
            "question": text,
            "answer": reply.plain_text(),
            "lang": reply.lang,
            "sources": [s.model_dump() for s in reply.sources],
            "passages": [p.model_dump() for p in passages],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    render_terminal(reply, Console(highlight=False))


@cli.command()
def assess(
    note: Annotated[str, typer.Argument(help="The call note; - reads stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="The assessment as JSON")] = False,
) -> None:
    """Assess one call note: Kunde/Patient, evidence, value, tier, next step, guidance."""
    import asyncio

    from bot.console import render_terminal
    from bot.context import Context

    app = _app(warm=True)
    reply = asyncio.run(app.coach.assess(_read_text(note), Context(channel="cli")))
    if as_json:
        data = reply.assessment.model_dump() if reply.assessment else {"message": reply.plain_text()}
        if reply.notice:
            data["notice"] = reply.notice
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    render_terminal(reply, Console(highlight=False))


@cli.command()
def chat() -> None:
    """The terminal chat: debriefs, questions and commands, as in Telegram."""
    import logging

    from bot.console import run_chat

    app = _app(warm=True)
    if app.settings.log_level != "DEBUG":  # the chat is for reading replies, not routine log lines
        logging.getLogger().setLevel(logging.WARNING)
    run_chat(app)


@cli.command()
def serve() -> None:
    """Run the Telegram bot (long polling, or a webhook when TELEGRAM_WEBHOOK_URL is set)."""
    from bot.telegram.main import run

    app = _app(warm=True)
    run(app.settings, root=app)


@cli.command("eval")
def evaluate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A JSONL file in SPEC's format")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Measure quality on an evaluation file (questions or assessments)."""
    from bot.evaluate import format_report, run_eval

    app = _app()
    report = run_eval(app, file)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report))


@cli.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Fewer messages and documents")] = False,
) -> None:
    """Measure start-up, latency, memory, Telegram round trips, load and indexing on this machine."""
    from bot.bench import format_table, run_bench
    from bot.logs import setup_logging

    setup_logging("WARNING")
    results = run_bench(quick=quick)
    typer.echo(json.dumps(results, indent=2) if as_json else format_table(results))


def main() -> None:
    try:
        cli()
    except SettingsError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
