import socket

import pytest

from tests import netguard


def test_connections_beyond_loopback_are_blocked():
    before = len(netguard.violations)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(netguard.NetworkBlocked):
        s.connect(("192.0.2.1", 443))  # TEST-NET-1: never routable
    with pytest.raises(netguard.NetworkBlocked):
        socket.getaddrinfo("api.openai.com", 443)
    del netguard.violations[before:]  # the guard worked; these two must not fail the session


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
