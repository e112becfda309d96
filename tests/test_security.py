"""Security of the instance folder and of every response: file modes, headers, HTTPS."""

import os
import stat

import pytest

from app import create_app


@pytest.fixture
def loose_umask():
    """A umask that leaves new files world-readable, as on many systems."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_files_are_readable_by_their_owner_only(tmp_path, loose_umask):
    home = tmp_path / "instance"
    application = create_app({"DESIGNER_HOME": str(home)})
    application.extensions["designer"].shutdown()
    assert mode(home) == 0o700
    assert mode(home / "secret_key") == 0o600
    assert mode(home / "designer.db") == 0o600
    wal = home / "designer.db-wal"
    assert not wal.exists() or mode(wal) == 0o600


def test_an_existing_world_readable_database_is_tightened(tmp_path, loose_umask):
    home = tmp_path / "instance"
    create_app({"DESIGNER_HOME": str(home)}).extensions["designer"].shutdown()
    (home / "designer.db").chmod(0o644)
    create_app({"DESIGNER_HOME": str(home)}).extensions["designer"].shutdown()
    assert mode(home / "designer.db") == 0o600
