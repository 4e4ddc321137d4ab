"""The persistent Chroma index: incremental sync of documents by content hash."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, Field

from knowledge.documents import BUILTIN_DIR, Chunk, DocumentError, chunk_document, discover, load_document
from knowledge.embeddings import model_id_of

log = logging.getLogger(__name__)

# Chroma reads these at import time: no telemetry, ever.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("CHROMA_TELEMETRY", "False")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class IndexReport(BaseModel):
    documents: int = 0
    unchanged: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    failed: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        line = (
            f"{self.documents} documents: {self.added} added, {self.updated} updated, "
            f"{self.removed} removed, {self.unchanged} unchanged; {self.chunks_embedded} chunks embedded "
            f"in {self.seconds:.2f} s"
        )
        if self.failed:
            line += f"; {len(self.failed)} skipped (unreadable)"
        return line


def collection_name(embeddings: Embeddings) -> str:
    """Vectors of two models never share a collection: the name carries the model id."""
    return "kb-" + re.sub(r"[^a-zA-Z0-9._-]+", "-", model_id_of(embeddings)).strip("-.")[:60]


def open_client(index_dir: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


class KnowledgeIndex:
    """Owns the Chroma collection for one embedding model under the data dir."""

    def __init__(self, index_dir: Path, embeddings: Embeddings) -> None:
        self.index_dir = index_dir
        self.embeddings = embeddings
        self._store: Any = None
        self.sources_file = index_dir / "sources.json"

    @property
    def store(self) -> Any:
        """The langchain-chroma vector store (opened on first use: the import is slow)."""
        if self._store is None:
            from langchain_chroma import Chroma

            self._store = Chroma(
                client=open_client(self.index_dir),
                collection_name=collection_name(self.embeddings),
                embedding_function=self.embeddings,  # always explicit: Chroma's default would download one
                collection_metadata={"hnsw:space": "cosine"},
            )
        return self._store

    def exists(self) -> bool:
        return (self.index_dir / "chroma.sqlite3").exists() and self.count() > 0

    def count(self) -> int:
        return self.store._collection.count()

    # ---- the team's own sources are remembered, so a plain `index` re-scans them ----
    def team_roots(self) -> list[Path]:
        if not self.sources_file.exists():
            return []
        try:
            return [Path(p) for p in json.loads(self.sources_file.read_text(encoding="utf-8"))]
        except (json.JSONDecodeError, TypeError):
            log.warning("ignoring unreadable %s", self.sources_file)
            return []

    def _save_team_roots(self, roots: Iterable[Path]) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        unique = sorted({str(r) for r in roots})
        self.sources_file.write_text(json.dumps(unique, indent=1), encoding="utf-8")

    def sync(self, extra_paths: Iterable[Path] = (), progress: Progress | None = None) -> IndexReport:
        """Bring the index in line with the built-in docs and the team's paths; embeds only what changed."""
        started = time.perf_counter()
        report = IndexReport()
        roots = [r.resolve() for r in [*self.team_roots(), *extra_paths]]
        missing = [r for r in roots if not r.exists()]
        for r in missing:
            log.warning("team source %s no longer exists; its documents are removed", r)
        roots = [r for r in roots if r.exists()]
        self._save_team_roots(roots)

        wanted: dict[str, Path] = {}
        for path in discover(BUILTIN_DIR):
            wanted[f"builtin:{path.relative_to(BUILTIN_DIR).as_posix()}"] = path
        for root in roots:
            for path in discover(root):
                wanted[f"team:{path.as_posix()}"] = path

        existing = self._indexed_hashes()
        to_embed: list[Chunk] = []
        replace: list[str] = []
        for doc_id, path in wanted.items():
            try:
                doc = load_document(path, doc_id)
            except (DocumentError, OSError) as exc:
                log.warning("skipping %s: %s", path, exc)
                report.failed.append(str(exc))
                continue
            report.documents += 1
            old_hash = existing.get(doc_id)
            if old_hash == doc.content_hash:
                report.unchanged += 1
                continue
            if old_hash is None:
                report.added += 1
            else:
                report.updated += 1
                replace.append(doc_id)
            to_embed.extend(chunk_document(doc))

        gone = [doc_id for doc_id in existing if doc_id not in wanted]
        report.removed = len(gone)
        self._delete_docs(gone + replace)
        self._add_chunks(to_embed, progress)
        report.chunks_embedded = len(to_embed)
        report.seconds = time.perf_counter() - started
        return report

    def _indexed_hashes(self) -> dict[str, str]:
        got = self.store.get(include=["metadatas"])
        return {m["doc_id"]: m["content_hash"] for m in got["metadatas"] if m and "doc_id" in m}

    def _delete_docs(self, doc_ids: list[str]) -> None:
        if not doc_ids:
            return
        got = self.store.get(where={"doc_id": {"$in": doc_ids}}, include=[])
        if got["ids"]:
            self.store.delete(ids=got["ids"])

    def _add_chunks(self, chunks: list[Chunk], progress: Progress | None, batch: int = 64) -> None:
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.store.add_texts(
                texts=[c.embed_text for c in part],
                metadatas=[_metadata(c) for c in part],
                ids=[c.id for c in part],
            )
            if progress:
                progress("embed", min(start + batch, len(chunks)), len(chunks))


def _metadata(chunk: Chunk) -> dict[str, str]:
    # Chroma metadata values are scalars: topics travel as a "|"-joined string.
    return {
        "doc_id": chunk.doc_id,
        "content_hash": chunk.content_hash,
        "title": chunk.title,
        "heading": chunk.heading,
        "lang": chunk.lang,
        "topics": "|".join(chunk.topics),
        "source": chunk.source,
        "text": chunk.text,
    }
