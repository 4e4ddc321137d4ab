"""Knowledge documents: loading Markdown, text and PDF files, front matter, heading-aware chunks."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from scoring.text import detect_lang

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).resolve().parent / "docs"
SUPPORTED = {".md", ".markdown", ".txt", ".pdf"}
TOPICS = (
    "kunde-merkmale",
    "patient-merkmale",
    "umgang-patient",
    "kunden-entwickeln",
    "abc-segmentierung",
    "kundenwert-clv",
    "key-account",
    "kol-experten",
    "zeitallokation",
    "veraenderung",
    "gespraechsfuehrung",
)
# Bumped when chunking changes, so every document is re-embedded once.
CHUNKER_VERSION = "2"
MAX_CHUNK = 1400

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$", re.MULTILINE)


class Document(BaseModel):
    doc_id: str  # stable: the path relative to its root, prefixed with the root's origin
    path: str
    title: str
    lang: str
    topics: list[str] = Field(default_factory=list)
    source: str
    body: str
    content_hash: str


class Chunk(BaseModel):
    id: str
    doc_id: str
    text: str  # what is shown and cited
    embed_text: str  # what is embedded: title and heading give the section its context
    title: str
    heading: str
    lang: str
    topics: list[str]
    source: str
    content_hash: str


class DocumentError(ValueError):
    """A file that could not be read as a knowledge document."""


def load_document(path: Path, doc_id: str) -> Document:
    """Read one file; raises DocumentError with a readable reason on malformed input."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        raw = _pdf_text(path)
    else:
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raw = path.read_text(encoding="latin-1")
    meta: dict = {}
    body = raw
    match = _FRONT.match(raw)
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise DocumentError(f"{path.name}: front matter is not valid YAML ({exc.__class__.__name__})") from None
        if not isinstance(meta, dict):
            raise DocumentError(f"{path.name}: front matter must be key: value pairs")
        body = raw[match.end() :]
    if not body.strip():
        raise DocumentError(f"{path.name}: no text")
    topics = meta.get("topics") or []
    if isinstance(topics, str):
        topics = [t.strip() for t in topics.split(",") if t.strip()]
    title = str(meta.get("title") or _first_heading(body) or path.stem.replace("-", " ").replace("_", " "))
    lang = str(meta.get("lang") or detect_lang(body[:3000]))
    digest = hashlib.sha256(f"{CHUNKER_VERSION}\n{raw}".encode()).hexdigest()[:16]
    return Document(
        doc_id=doc_id,
        path=str(path),
        title=title,
        lang=lang,
        topics=[str(t) for t in topics],
        source=str(meta.get("source") or path.name),
        body=body,
        content_hash=digest,
    )


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader  # only teams with PDFs pay for the import
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise DocumentError(f"{path.name}: not a readable PDF ({exc.__class__.__name__})") from None


def _first_heading(body: str) -> str | None:
    match = _HEADING.search(body)
    return match.group(2).strip() if match else None


def chunk_document(doc: Document) -> list[Chunk]:
    """One chunk per heading section; long sections split at paragraphs."""
    sections: list[tuple[str, str]] = []
    positions = [(m.start(), m.end(), m.group(2).strip()) for m in _HEADING.finditer(doc.body)]
    if not positions or positions[0][0] > 0:
        end = positions[0][0] if positions else len(doc.body)
        sections.append(("", doc.body[:end]))
    for i, (_, h_end, heading) in enumerate(positions):
        end = positions[i + 1][0] if i + 1 < len(positions) else len(doc.body)
        sections.append((heading, doc.body[h_end:end]))
    chunks: list[Chunk] = []
    for heading, text in sections:
        for piece in _split_long(text.strip()):
            if len(piece) < 40 and not heading:
                continue
            if heading == doc.title and not piece:
                continue
            shown = f"{heading}\n{piece}".strip() if heading and heading != doc.title else piece
            if not shown:
                continue
            n = len(chunks)
            chunks.append(
                Chunk(
                    id=f"{doc.doc_id}#{n}",
                    doc_id=doc.doc_id,
                    text=shown,
                    embed_text=f"{doc.title}. {shown}",
                    title=doc.title,
                    heading=heading,
                    lang=doc.lang,
                    topics=doc.topics,
                    source=doc.source,
                    content_hash=doc.content_hash,
                )
            )
    return chunks


def _split_long(text: str) -> list[str]:
    if len(text) <= MAX_CHUNK:
        return [text]
    pieces: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", text):
        if current and len(current) + len(para) > MAX_CHUNK:
            pieces.append(current.strip())
            current = ""
        while len(para) > MAX_CHUNK:  # one huge paragraph (PDF text): cut at a sentence end
            cut = para.rfind(". ", 0, MAX_CHUNK)
            cut = cut + 1 if cut > MAX_CHUNK // 2 else MAX_CHUNK
            pieces.append(para[:cut].strip())
            para = para[cut:]
        current += para + "\n\n"
    if current.strip():
        pieces.append(current.strip())
    return pieces


def discover(root: Path) -> list[Path]:
    """The supported files under a path (a file or a folder), in a stable order."""
    if root.is_file():
        return [root] if root.suffix.lower() in SUPPORTED else []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
