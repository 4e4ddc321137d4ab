"""The composition root: builds each adapter once, on first use, and wires the coach."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bot.settings import Settings, load_settings
from scoring.policy import Policy, default_policy, load_policy_file

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from bot.intents import IntentRouter
    from knowledge.index import KnowledgeIndex
    from knowledge.retrieve import Retriever
    from scoring.detect import Scorer


class App:
    """Everything a front end needs, built lazily so a command only pays for what it uses."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()

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
