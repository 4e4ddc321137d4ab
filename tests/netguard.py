"""Fails any socket connection to a non-loopback address: the project must never reach the network unasked.

Installed for the whole test session by tests/conftest.py, and in subprocesses through the
sitecustomize.py that `guard_env()` puts on their PYTHONPATH.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

_REAL_CONNECT = socket.socket.connect
_REAL_CONNECT_EX = socket.socket.connect_ex
_REAL_GETADDRINFO = socket.getaddrinfo
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkBlocked(ConnectionRefusedError):
    """A connection to a non-loopback address was attempted."""


violations: list[str] = []


def _is_local(host: str) -> bool:
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets never leave the machine
    host = str(address[0]) if isinstance(address, tuple) else str(address)
    if not _is_local(host):
        violations.append(host)
        log = os.environ.get("KUNDENFOKUS_NETGUARD_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(host + "\n")
        raise NetworkBlocked(f"blocked a connection to {host}: tests must stay on loopback")


def _connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _REAL_CONNECT(self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _REAL_CONNECT_EX(self, address)


def _getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
    # A name lookup of a public host is itself traffic (DNS): block it before it happens.
    if isinstance(host, str | bytes) and host and not _is_local(host.decode() if isinstance(host, bytes) else host):
        name = host.decode() if isinstance(host, bytes) else host
        try:
            ipaddress.ip_address(name)
        except ValueError:
            violations.append(name)
            raise NetworkBlocked(f"blocked a name lookup of {name}: tests must stay on loopback") from None
    return _REAL_GETADDRINFO(host, *args, **kwargs)  # type: ignore[arg-type]


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo  # type: ignore[assignment]


def guard_env(tmp_dir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess that installs this guard at start-up and logs violations."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    (tmp_dir / "sitecustomize.py").write_text("import tests.netguard as g\ng.install()\n", encoding="utf-8")
    env = dict(os.environ if env is None else env)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_dir), root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["KUNDENFOKUS_NETGUARD_LOG"] = str(tmp_dir / "netguard.log")
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env
