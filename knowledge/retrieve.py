"""Search the knowledge base: semantic similarity, the asker's language first, optional topic filter."""

from __future__ import annotations

from knowledge.index import KnowledgeIndex
from scoring.models import Guidance, Lang
from scoring.text import detect_lang

# How much a passage in the asker's language is preferred over a slightly closer one in the other.
LANG_BONUS = 0.08
MAX_PER_DOC = 2


class Retriever:
    def __init__(self, index: KnowledgeIndex) -> None:
        self.index = index

    def search(
        self, query: str, k: int = 3, lang: Lang | None = None, topics: list[str] | None = None
    ) -> list[Guidance]:
        """The k best passages for `query`, each with source, title, topics and a score in [0, 1]."""
        query = query.strip()
        if not query or k <= 0:
            return []
        return self.search_vector(self.embed(query), k, lang or detect_lang(query, default="de"), topics)

    def embed(self, query: str) -> list[float]:
        return self.index.embeddings.embed_query(query.strip()[:2000])

    def search_vector(
        self, vector: list[float], k: int, want_lang: Lang, topics: list[str] | None = None
    ) -> list[Guidance]:
        """The same search for a query already embedded (the caller reuses the vector)."""
        fetch = max(24, k * 8)
        hits = self.index.store.similarity_search_by_vector_with_relevance_scores(vector, k=fetch)
        ranked: list[tuple[float, Guidance]] = []
        for doc, distance in hits:
            meta = doc.metadata
            doc_topics = [t for t in str(meta.get("topics", "")).split("|") if t]
            if topics and not set(topics) & set(doc_topics):
                continue
            similarity = max(0.0, min(1.0, 1.0 - float(distance)))
            rank = similarity + (LANG_BONUS if meta.get("lang") == want_lang else 0.0)
            ranked.append(
                (
                    rank,
                    Guidance(
                        text=str(meta.get("text") or doc.page_content),
                        source=str(meta.get("source", "")),
                        title=str(meta.get("title", "")),
                        topics=doc_topics,
                        score=round(similarity, 4),
                        lang=str(meta.get("lang") or "") or None,
                    ),
                )
            )
        ranked.sort(key=lambda pair: pair[0], reverse=True)
        picked: list[Guidance] = []
        per_doc: dict[str, int] = {}
        for _, passage in ranked:
            key = passage.title + passage.source
            if per_doc.get(key, 0) >= MAX_PER_DOC:
                continue
            per_doc[key] = per_doc.get(key, 0) + 1
            picked.append(passage)
            if len(picked) == k:
                break
        return picked
