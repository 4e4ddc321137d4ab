"""The storage adapter: assessments, feedback and user preferences, via SQLAlchemy 2 async.

SQLite (aiosqlite) under the data dir by default; any async URL in DATABASE_URL (e.g.
postgresql+asyncpg://...) works the same, because the schema is created by portable migration steps.
All I/O goes through the async driver, so no handler ever blocks the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    TypeDecorator,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.settings import Settings
from scoring.models import Assessment

log = logging.getLogger(__name__)

Feedback = Literal["ok", "kunde", "patient"]
FEEDBACK_VALUES: tuple[str, ...] = get_args(Feedback)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; SQLite drops the zone, so it is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class AssessmentRow(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_key: Mapped[str | None] = mapped_column(String(200))
    customer_display: Mapped[str | None] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(1))
    value: Mapped[str] = mapped_column(String(16))
    signal_ids: Mapped[list[str]] = mapped_column(JSON)
    note_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feedback: Mapped[str | None] = mapped_column(String(16))
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lang: Mapped[str | None] = mapped_column(String(2))
    refused_on: Mapped[date | None] = mapped_column(Date)


# Forward-only migrations: step N brings the schema from version N-1 to N. Never edit a released
# step; append a new one. "{pk}" and "{ts}" are filled per dialect, the rest is portable SQL.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE assessments ("
        " id {pk}, rep_id BIGINT NOT NULL, chat_id BIGINT,"
        " customer_key VARCHAR(200), customer_display VARCHAR(200),"
        " relationship VARCHAR(16) NOT NULL, confidence FLOAT NOT NULL, tier VARCHAR(1) NOT NULL,"
        " value VARCHAR(16) NOT NULL, signal_ids JSON NOT NULL, note_text TEXT,"
        " created_at {ts} NOT NULL, feedback VARCHAR(16), feedback_at {ts})",
        "CREATE INDEX ix_assessments_rep_customer ON assessments (rep_id, customer_key, created_at)",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, lang VARCHAR(2), refused_on DATE)",
    ],
]

_DIALECT_TYPES = {
    # AUTOINCREMENT: ids of deleted rows are never reused, so an old feedback button can never
    # point at somebody else's newer assessment.
    "sqlite": {"pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "ts": "TIMESTAMP"},
    "postgresql": {"pk": "BIGSERIAL PRIMARY KEY", "ts": "TIMESTAMP WITH TIME ZONE"},
}


@dataclass(frozen=True)
class StoredAssessment:
    """One stored assessment, as the commands show it."""

    id: int
    rep_id: int
    chat_id: int | None
    customer_key: str | None
    customer_display: str | None
    relationship: str
    confidence: float
    tier: str
    value: str
    signal_ids: list[str]
    note_text: str | None
    created_at: datetime
    feedback: str | None
    feedback_at: datetime | None

    @classmethod
    def of(cls, row: AssessmentRow) -> StoredAssessment:
        return cls(
            id=row.id,
            rep_id=row.rep_id,
            chat_id=row.chat_id,
            customer_key=row.customer_key,
            customer_display=row.customer_display,
            relationship=row.relationship,
            confidence=row.confidence,
            tier=row.tier,
            value=row.value,
            signal_ids=list(row.signal_ids or []),
            note_text=row.note_text,
            created_at=row.created_at,
            feedback=row.feedback,
            feedback_at=row.feedback_at,
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["feedback_at"] = self.feedback_at.isoformat() if self.feedback_at else None
        return data


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Async store; call `open()` once inside the running event loop, `close()` at the end."""

    def __init__(self, url: str, clock: Callable[[], datetime] = _now) -> None:
        self.url = url
        self._clock = clock  # injectable so tests can cross midnight without waiting
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(settings.db_url)

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect and apply pending migrations; calling it again is harmless."""
        if self._engine is not None:
            return
        url = make_url(self.url)
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            # Concurrent chats write at the same time: wait for the lock instead of failing.
            connect_args["timeout"] = 30
        engine = create_async_engine(self.url, connect_args=connect_args)
        if url.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        await self._migrate()

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = None
        self._sessions = None

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        async with self._engine_or_fail().connect() as conn:
            return int((await conn.execute(text("SELECT MAX(version) FROM schema_version"))).scalar() or 0)

    async def _migrate(self) -> None:
        engine = self._engine_or_fail()
        types = _DIALECT_TYPES.get(engine.dialect.name, _DIALECT_TYPES["postgresql"])
        async with engine.begin() as conn:
            await conn.execute(
                text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at VARCHAR(40))")
            )
            current = int((await conn.execute(text("SELECT MAX(version) FROM schema_version"))).scalar() or 0)
            for version, steps in enumerate(MIGRATIONS[current:], start=current + 1):
                for step in steps:
                    await conn.execute(text(step.format(**types)))
                await conn.execute(
                    text("INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)"),
                    {"v": version, "t": _now().isoformat()},
                )
                log.info("store: applied schema migration %d", version)

    def _engine_or_fail(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Store is not open; call `await store.open()` first")
        return self._engine

    def _session(self) -> AsyncSession:
        if self._sessions is None:
            raise RuntimeError("Store is not open; call `await store.open()` first")
        return self._sessions()

    # -- assessments -------------------------------------------------------------------------

    async def record_assessment(
        self, rep_id: int, chat_id: int | None, assessment: Assessment, note_text: str | None
    ) -> int:
        """Store one assessment; the caller decides whether `note_text` may be kept at all."""
        if "adverse_event" in assessment.flags:
            # Belt and braces: whatever the caller passes, adverse-event notes are never stored.
            note_text = None
        row = AssessmentRow(
            rep_id=rep_id,
            chat_id=chat_id,
            customer_key=(assessment.customer_key or None),
            customer_display=_cut(assessment.customer),
            relationship=assessment.relationship,
            confidence=float(assessment.confidence),
            tier=assessment.tier.name,
            value=assessment.value.level,
            signal_ids=sorted({s.id for s in assessment.signals} | {s.id for s in assessment.value.signals}),
            note_text=note_text,
            created_at=self._clock(),
        )
        async with self._session() as session, session.begin():
            session.add(row)
        return row.id

    async def set_feedback(self, assessment_id: int, rep_id: int, feedback: Feedback) -> bool:
        """Record the rep's verdict on one of *their own* assessments; False if no such row."""
        if feedback not in FEEDBACK_VALUES:
            raise ValueError(f"feedback must be one of {FEEDBACK_VALUES}")
        async with self._session() as session, session.begin():
            result = await session.execute(
                update(AssessmentRow)
                .where(AssessmentRow.id == assessment_id, AssessmentRow.rep_id == rep_id)
                .values(feedback=feedback, feedback_at=self._clock())
            )
            return bool(result.rowcount)

    async def get_assessment(self, assessment_id: int) -> StoredAssessment | None:
        async with self._session() as session:
            row = await session.get(AssessmentRow, assessment_id)
            return StoredAssessment.of(row) if row else None

    async def customer_history(self, rep_id: int, customer_key: str) -> list[StoredAssessment]:
        """That rep's assessments of one customer, oldest first."""
        stmt = (
            select(AssessmentRow)
            .where(AssessmentRow.rep_id == rep_id, AssessmentRow.customer_key == customer_key)
            .order_by(AssessmentRow.created_at, AssessmentRow.id)
        )
        return await self._rows(stmt)

    async def portfolio(self, rep_id: int) -> list[StoredAssessment]:
        """The latest assessment of each of the rep's named customers."""
        latest = (
            select(func.max(AssessmentRow.id).label("id"))
            .where(AssessmentRow.rep_id == rep_id, AssessmentRow.customer_key.is_not(None))
            .group_by(AssessmentRow.customer_key)
            .subquery()
        )
        # Ids grow with time (AUTOINCREMENT / sequence), so the highest id is the latest row.
        stmt = (
            select(AssessmentRow)
            .join(latest, AssessmentRow.id == latest.c.id)
            .order_by(AssessmentRow.tier, AssessmentRow.customer_key)
        )
        return await self._rows(stmt)

    async def count_assessments(self, rep_id: int) -> int:
        async with self._session() as session:
            stmt = select(func.count()).select_from(AssessmentRow).where(AssessmentRow.rep_id == rep_id)
            return int((await session.execute(stmt)).scalar_one())

    async def _rows(self, stmt: Any) -> list[StoredAssessment]:
        async with self._session() as session:
            rows: Sequence[AssessmentRow] = (await session.execute(stmt)).scalars().all()
            return [StoredAssessment.of(r) for r in rows]

    # -- the user's own data -----------------------------------------------------------------

    async def user_data(self, rep_id: int) -> dict[str, Any]:
        """Everything stored about one user, JSON-serialisable (for /export and /daten)."""
        async with self._session() as session:
            user = await session.get(UserRow, rep_id)
        rows = await self._rows(select(AssessmentRow).where(AssessmentRow.rep_id == rep_id).order_by(AssessmentRow.id))
        return {
            "user": {
                "id": rep_id,
                "lang": user.lang if user else None,
                "refused_on": user.refused_on.isoformat() if user and user.refused_on else None,
            },
            "assessments": [r.as_json() for r in rows],
        }

    async def forget(self, rep_id: int) -> int:
        """Delete every row of this user; returns how many rows went."""
        async with self._session() as session, session.begin():
            gone = await session.execute(delete(AssessmentRow).where(AssessmentRow.rep_id == rep_id))
            user = await session.execute(delete(UserRow).where(UserRow.id == rep_id))
            return int(gone.rowcount or 0) + int(user.rowcount or 0)

    async def get_lang(self, user_id: int) -> str | None:
        async with self._session() as session:
            user = await session.get(UserRow, user_id)
            return user.lang if user else None

    async def set_lang(self, user_id: int, lang: str) -> None:
        async with self._session() as session, session.begin():
            user = await session.get(UserRow, user_id)
            if user is None:
                session.add(UserRow(id=user_id, lang=lang))
            else:
                user.lang = lang

    async def should_refuse_today(self, user_id: int) -> bool:
        """True the first time a user who is not allowed writes on a given day (UTC); records it.

        Only the id and the date are kept, so a restart does not re-send the refusal.
        """
        today = self._clock().date()
        try:
            async with self._session() as session, session.begin():
                user = await session.get(UserRow, user_id, with_for_update=True)
                if user is None:
                    session.add(UserRow(id=user_id, refused_on=today))
                    return True
                if user.refused_on == today:
                    return False
                user.refused_on = today
                return True
        except IntegrityError:
            return False  # a concurrent message of the same user inserted the row: it got the refusal

    # -- calibration -------------------------------------------------------------------------

    async def feedback_stats(self) -> dict[str, Any]:
        """Counts of feedback per predicted relationship, and mean confidence, across all reps."""
        stmt = (
            select(
                AssessmentRow.relationship,
                AssessmentRow.feedback,
                func.count(),
                func.avg(AssessmentRow.confidence),
            )
            .where(AssessmentRow.feedback.is_not(None))
            .group_by(AssessmentRow.relationship, AssessmentRow.feedback)
        )
        async with self._session() as session:
            result = (await session.execute(stmt)).all()
        by_rel: dict[str, dict[str, Any]] = {}
        total = 0
        for relationship, feedback, count, mean_conf in result:
            entry = by_rel.setdefault(relationship, {"n": 0, "feedback": {}, "mean_confidence": {}})
            entry["n"] += int(count)
            entry["feedback"][feedback] = int(count)
            entry["mean_confidence"][feedback] = round(float(mean_conf or 0.0), 4)
            total += int(count)
        return {"total": total, "by_relationship": by_rel}


def _cut(value: str | None, limit: int = 200) -> str | None:
    return value[:limit] if value else None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run while one writer writes, which is what many concurrent chats need.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
