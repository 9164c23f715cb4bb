"""Fixtures of the sandbox tests."""

import pytest


@pytest.fixture
def fork_server_on(monkeypatch):
    """The fork server as by default, whatever DLGRADE_FORKSERVER the run was started with."""
    monkeypatch.delenv("DLGRADE_FORKSERVER", raising=False)
