"""Chroma for real on tmp_path: incremental indexing, team documents, retrieval by language and topic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.documents import BUILTIN_DIR, TOPICS, discover, load_document
from knowledge.embeddings import USEEmbeddings
from knowledge.index import KnowledgeIndex, collection_name
from knowledge.retrieve import Retriever


@pytest.fixture
def index(data_dir: Path) -> KnowledgeIndex:
    return KnowledgeIndex(data_dir / "chroma", USEEmbeddings())


def test_builtin_documents_cover_every_topic_in_both_languages():
    covered = {(doc.lang, t) for p in discover(BUILTIN_DIR) for doc in [load_document(p, p.name)] for t in doc.topics}
    assert {(lang, t) for lang in ("de", "en") for t in TOPICS} <= covered


def test_reindexing_with_nothing_changed_embeds_nothing(index: KnowledgeIndex):
    report = index.sync()
    assert report.chunks_embedded == 0 and report.unchanged == report.documents > 20


def test_team_documents_are_added_updated_and_removed(index: KnowledgeIndex, tmp_path: Path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "playbook.md").write_text(
        "---\ntitle: Unser Playbook\nlang: de\ntopics: [gespraechsfuehrung]\n---\n## Einwand Preis\n"
        "Bei Preis-Einwänden fragen wir nach dem Budgetrahmen und bieten eine Laufzeitvariante an.",
        encoding="utf-8",
    )
    (team / "notes.txt").write_text("Zebra-Regel: Jeder Zebrakunde bekommt eine Zebra-Mappe.", encoding="utf-8")
    (team / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    first = index.sync([team])
    assert (first.added, first.chunks_embedded > 0, len(first.failed)) == (2, True, 1)
    assert Retriever(index).search("Zebra-Mappe", k=1)[0].source == "notes.txt"

    (team / "notes.txt").write_text("Zebra-Regel: neu formuliert.", encoding="utf-8")
    second = index.sync()  # the team folder is remembered
    assert (second.updated, second.added) == (1, 0)

    (team / "playbook.md").unlink()
    third = index.sync()
    assert third.removed == 1
    titles = {p.title for p in Retriever(index).search("Einwand Preis Budgetrahmen Laufzeitvariante", k=5)}
    assert "Unser Playbook" not in titles


def test_a_removed_team_folder_takes_its_documents_along(index: KnowledgeIndex, tmp_path: Path):
    team = tmp_path / "gone"
    team.mkdir()
    (team / "a.md").write_text("# A\nEin kurzer Text über Kaffeemaschinen im Vertrieb und ihre Pflege.", "utf-8")
    index.sync([team])
    shutil.rmtree(team)
    assert index.sync().removed == 1


def test_questions_find_their_topic_and_prefer_the_askers_language(index: KnowledgeIndex):
    retriever = Retriever(index)
    de = retriever.search("Woran erkenne ich einen Patienten?", k=3)
    en = retriever.search("How do I recognise a patient?", k=3)
    assert any("patient-merkmale" in p.topics for p in de)
    assert de[0].lang == "de" and en[0].lang == "en"
    assert all("kol-experten" in p.topics for p in retriever.search("KOL", k=2, topics=["kol-experten"]))
    assert retriever.search("   ") == []


def test_each_embedding_model_gets_its_own_collection():
    class Other(USEEmbeddings):
        model_id = "other-model"

    assert collection_name(USEEmbeddings()) != collection_name(Other())
