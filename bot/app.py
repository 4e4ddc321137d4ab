"""The composition root: builds each adapter once, on first use, and wires the coach."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bot.settings import Settings, load_settings
from scoring.policy import Policy, default_policy, load_policy_file

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.coach import Coach
    from bot.commands import Commands
    from bot.intents import IntentRouter
    from bot.llm import LLMAdvisor
    from bot.store import Store
    from knowledge.index import KnowledgeIndex
    from knowledge.retrieve import Retriever
    from scoring.detect import Scorer


class App:
    """Everything a front end needs, built lazily so a command only pays for what it uses."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        from knowledge import embeddings

        embeddings.TOKENIZER_CACHE = self.settings.data_dir / "cache"

    def warm_up(self) -> None:
        """Load the model in the background while the caller goes on importing and opening the index."""
        import threading

        from knowledge.embeddings import warm_up_in_background

        warm_up_in_background()
        if self.settings.llm_enabled:
            from bot.llm import preload_client

            threading.Thread(target=preload_client, name="llm-import", daemon=True).start()

    @cached_property
    def policy(self) -> Policy:
        path = self.settings.kundenfokus_policy_file
        return load_policy_file(path) if path else default_policy()

    @cached_property
    def embeddings(self) -> Embeddings:
        from knowledge.embeddings import make_embeddings

        return make_embeddings(self.settings)

    @cached_property
    def index(self) -> KnowledgeIndex:
        from knowledge.index import KnowledgeIndex

        return KnowledgeIndex(self.settings.index_dir, self.embeddings)

    @cached_property
    def retriever(self) -> Retriever:
        from knowledge.retrieve import Retriever

        return Retriever(self.index)

    @cached_property
    def scorer(self) -> Scorer:
        from knowledge.embeddings import USEEmbeddings
        from scoring.detect import Scorer
        from scoring.model import load_default_model

        # Scoring always uses the local model it was trained with, whatever the index uses.
        return Scorer(load_default_model(), USEEmbeddings().embed_array, self.policy)

    @cached_property
    def router(self) -> IntentRouter:
        from bot.intents import IntentRouter

        return IntentRouter.default()

    @cached_property
    def llm(self) -> LLMAdvisor | None:
        from bot.llm import llm_from_settings

        return llm_from_settings(self.settings, self.policy)

    @cached_property
    def store(self) -> Store:
        from bot.store import Store

        return Store.from_settings(self.settings)

    @cached_property
    def commands(self) -> Commands:
        from bot.commands import Commands

        return Commands(self.store, self.policy, self.settings)

    @cached_property
    def coach(self) -> Coach:
        from bot.coach import Coach

        return Coach(
            self.router,
            self.scorer,
            self.retriever,
            llm=self.llm,
            store=self.store,
            commands=self.commands,
            store_notes=self.settings.store_notes,
            default_lang=self.settings.kundenfokus_lang,
        )

    async def open(self) -> None:
        """Start what needs the event loop: the database (created and migrated on first use)."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.open()

    async def close(self) -> None:
        if "store" in self.__dict__:
            await self.store.close()
        if "coach" in self.__dict__:
            self.coach.close()
        if self.__dict__.get("llm") is not None:
            await self.llm.aclose()
