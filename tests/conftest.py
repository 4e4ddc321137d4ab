"""Session-wide: no network beyond loopback, no proxies for loopback, and a shared built index."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import netguard

# httpx honours proxy variables even for 127.0.0.1 unless told otherwise.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TELEGRAM_BOT_TOKEN", "DATABASE_URL"):
    os.environ.pop(key, None)  # a developer's own configuration must not leak into the tests

netguard.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if netguard.violations:
        print(f"\nnetwork guard: blocked connections to {sorted(set(netguard.violations))}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def built_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in knowledge base indexed once per session; tests copy it to their own data dir."""
    from bot.app import App
    from bot.settings import load_settings

    data = tmp_path_factory.mktemp("kb") / "data"
    app = App(load_settings(kundenfokus_data_dir=data))
    app.index.sync()
    return data / "chroma"


@pytest.fixture
def data_dir(tmp_path: Path, built_index_dir: Path) -> Iterator[Path]:
    """A fresh data dir holding a copy of the session's built index."""
    data = tmp_path / "data"
    shutil.copytree(built_index_dir, data / "chroma")
    yield data
