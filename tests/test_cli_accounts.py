"""`designer clients enable`, `designer audit` and the last admin, through the command line
(in this process: tests/test_cli.py also runs the installed command as a subprocess)."""

import json

import pytest

from tests.helpers_server import cli as designer


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    for name in ("DESIGNER_ADMIN_PASSWORD", "DESIGNER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_last_admin_clients_enable_and_the_audit_command(tmp_path):
    home = tmp_path / "instance"
    assert designer(home, "init").returncode == 0
    for args in (("users", "set-role", "admin", "editor"), ("users", "disable", "admin")):
        refused = designer(home, *args)
        assert refused.returncode == 1, args
        assert ("User 'admin' is the last active admin: make another user an admin first."
                in refused.stderr)
    assert designer(home, "users", "list").stdout.splitlines() == ["admin\tadmin\tactive"]

    assert designer(home, "clients", "create", "nightly").returncode == 0
    assert designer(home, "clients", "disable", "nightly").returncode == 0
    enabled = designer(home, "clients", "enable", "nightly")
    assert (enabled.returncode, enabled.stdout) == (0, "nightly\tactive\n")
    (row,) = designer(home, "clients", "list").stdout.splitlines()
    assert row.endswith("\trunner\tactive")
    missing = designer(home, "clients", "enable", "nobody")
    assert missing.returncode == 1 and "Client 'nobody' does not exist." in missing.stderr

    lines = designer(home, "audit", "--limit", "3").stdout.splitlines()
    assert [line.split("\t")[1:5] for line in lines] == [
        ["cli", "local", "client.enable", "nightly"],
        ["cli", "local", "client.disable", "nightly"],
        ["cli", "local", "client.create", "nightly"],
    ]
    as_json = designer(home, "audit", "--action", "user.create", "--json").stdout.splitlines()
    (entry,) = [json.loads(line) for line in as_json]
    assert (entry["actor"], entry["target"], entry["details"]) == (
        "cli", "admin", {"role": "admin"})
    bad = designer(home, "audit", "--limit", "0")
    assert bad.returncode == 2 and "--limit" in bad.stderr
