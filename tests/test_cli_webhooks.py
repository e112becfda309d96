"""`designer webhooks ...` in this process (Click's runner) against a real HTTP receiver: add,
list, edit, switch, send a test, read the delivery log, delete; bad input names the culprit."""

import hashlib
import hmac
import json

import pytest

from tests.api.test_webhooks import Receiver
from tests.test_cli_schedules import cli, cli_ok

ALLOW = {"DESIGNER_OUTBOUND_ALLOW": "127.0.0.1", "DESIGNER_OUTBOUND_SECONDS": "5"}


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / "instance"
    cli_ok(folder, "init")
    return folder


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


def test_a_webhook_is_added_edited_tested_logged_and_deleted(home, receiver):
    added = cli_ok(home, "webhooks", "add", receiver.url, "--event", "run.finished",
                   "--endpoint", "income-retrain", env=ALLOW).splitlines()
    hook_id, url, endpoint, events, state = added[0].split("\t")
    assert (url, endpoint, events, state) == (receiver.url, "income-retrain", "run.finished",
                                              "enabled")
    secret = added[1].removeprefix("  secret: ").split()[0]
    assert len(secret) == 64
    assert cli_ok(home, "webhooks", "list") == added[0] + "\n"

    edited = cli_ok(home, "webhooks", "edit", hook_id, "--event", "run.failed", "--event",
                    "model.promoted", "--all-endpoints", env=ALLOW)
    assert edited == f"{hook_id}\t{receiver.url}\t(all endpoints)\trun.failed,model.promoted\t" \
                     "enabled\n"
    assert "\tdisabled" in cli_ok(home, "webhooks", "disable", hook_id)

    receiver.statuses = [500]
    failed = cli(home, "webhooks", "send-test", hook_id, env=ALLOW)
    assert failed.returncode == 1 and "was not accepted: 500" in failed.stderr, failed.stderr
    sent = cli_ok(home, "webhooks", "send-test", hook_id, env=ALLOW)
    assert sent.split("\t")[2:] == ["test", "delivered", "200\n"]
    headers, body = receiver.received[-1]
    assert headers["X-Designer-Signature"] == "sha256=" + hmac.new(
        secret.encode(), body, hashlib.sha256).hexdigest()  # the secret outlived the edit
    assert json.loads(body)["event"] == "test"

    log = cli_ok(home, "webhooks", "deliveries", hook_id).splitlines()
    assert [row.split("\t")[3].split(" ")[0] for row in log] == ["delivered", "pending"]
    assert "(next attempt " in log[1] and log[1].endswith("\t500")
    (latest,) = [json.loads(r) for r in cli_ok(home, "webhooks", "deliveries", hook_id,
                                               "--json", "--limit", "1").splitlines()]
    assert latest["delivered"] and latest["attempts"][0]["status_code"] == 200

    assert "\tenabled" in cli_ok(home, "webhooks", "enable", hook_id)
    assert cli_ok(home, "webhooks", "delete", hook_id) == f"deleted webhook {hook_id}\n"
    assert cli_ok(home, "webhooks", "list") == ""


def test_a_test_to_an_address_nobody_listens_on_says_so(home):
    closed = Receiver()
    closed.close()
    added = cli_ok(home, "webhooks", "add", closed.url, "--event", "run.failed", env=ALLOW)
    hook_id = added.split("\t")[0]
    failed = cli(home, "webhooks", "send-test", hook_id, env=ALLOW)
    assert failed.returncode == 1
    assert f"could not reach http://127.0.0.1:{closed.server.server_port}/hook" in failed.stderr


@pytest.mark.parametrize(("args", "env", "code", "message"), [
    (("add", "http://127.0.0.1:9/hook", "--event", "run.finished"), {}, 1,
     "http://127.0.0.1:9/hook is refused: 127.0.0.1 resolves to a loopback address"),
    (("add", "http://10.1.2.3/hook", "--event", "run.finished"), {}, 1, "private address"),
    (("add", "ftp://example.com/hook", "--event", "run.finished"), {}, 1, "url: String should"),
    (("add", "http://127.0.0.1:9/hook", "--event", "run.started"), ALLOW, 2,
     "'run.started' is not one of"),
    (("add", "http://127.0.0.1:9/hook"), ALLOW, 2, "Missing option '--event'"),
    (("add", "http://127.0.0.1:9/hook", "--event", "run.failed", "--endpoint", "nope"), ALLOW,
     1, "Pipeline endpoint 'nope' does not exist."),
    (("edit", "HOOK", "--url", "http://10.1.2.3/hook"), ALLOW, 1, "private address"),
    (("edit", "HOOK", "--endpoint", "nope"), ALLOW, 1, "Pipeline endpoint 'nope'"),
    (("edit", "HOOK"), ALLOW, 2, "Nothing to change"),
    (("edit", "HOOK", "--endpoint", "income-retrain", "--all-endpoints"), ALLOW, 2,
     "--endpoint or --all-endpoints"),
    (("edit", "nope", "--event", "run.failed"), ALLOW, 1, "Webhook 'nope' does not exist."),
    (("send-test", "nope"), ALLOW, 1, "Webhook 'nope' does not exist."),
    (("deliveries", "nope"), ALLOW, 1, "Webhook 'nope' does not exist."),
    (("delete", "nope"), ALLOW, 1, "Webhook 'nope' does not exist."),
])
def test_bad_webhook_commands_are_refused_naming_the_culprit(home, args, env, code, message):
    hook_id = cli_ok(home, "webhooks", "add", "http://127.0.0.1:9/hook", "--event",
                     "run.finished", env=ALLOW).split("\t")[0]
    refused = cli(home, "webhooks", *[hook_id if a == "HOOK" else a for a in args], env=env)
    assert refused.returncode == code and message in refused.stderr, refused.stderr
