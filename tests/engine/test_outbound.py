"""The guarded outbound client, against real servers on 127.0.0.1 only.

Refusals of private, link-local and metadata addresses are tested without connecting: the
address check directly, and fetches under a socket layer that fails the test on any connection.
"""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from app.engine import outbound
from app.engine.outbound import OutboundError, OutboundPolicy, check, fetch, post, refusal


@pytest.fixture
def server():
    """A local HTTP server recording each request's path and Host header."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 - http.server's naming
            seen.append((self.path, self.headers["Host"]))
            if self.path.startswith("/go?"):
                self.send_response(302)
                self.send_header("Location", self.path.split("?", 1)[1])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b"a,b\n1,2\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers["Host"], body))
            self.send_response(302 if self.path.startswith("/go?") else 202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield SimpleNamespace(port=httpd.server_address[1], seen=seen)
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def connections(monkeypatch):
    """Every address the client connects to; anything but loopback fails the test at once."""
    made = []
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        if not address[0].startswith("127."):
            pytest.fail(f"the client tried to connect to {address}")
        made.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "create_connection", guarded)
    return made


LOCAL = OutboundPolicy.from_settings("127.0.0.1")


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.1.2.3", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fc00::1", "private"),
    ("0.0.0.0", "unspecified"), ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "not a public address"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
    ("2002:a9fe:a9fe::", "link-local"),  # 6to4 wrapping the metadata address
])
def test_non_public_addresses_are_refused(address, kind):
    assert kind in refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass_the_check(address):
    assert refusal(address) is None


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5:8080/x.csv",
    "http://192.168.0.1/", "https://[fd00::1]/x.csv", "http://[::ffff:a9fe:a9fe]/",
])
def test_private_and_metadata_urls_are_refused_before_any_connection(connections, url):
    with pytest.raises(OutboundError, match=r" is refused: .* resolves to a"):
        fetch(url, OutboundPolicy())
    assert connections == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f000001",
                                  "0177.0.0.1", "127.1"])
def test_every_spelling_of_loopback_is_refused(server, connections, host):
    with pytest.raises(OutboundError, match=r"is refused: .* resolves to a loopback address"):
        fetch(f"http://{host}:{server.port}/data.csv", OutboundPolicy())
    assert connections == [] and server.seen == []


def test_an_allowed_host_is_fetched_from_the_checked_address(server, connections):
    policy = OutboundPolicy.from_settings("localhost")
    assert fetch(f"http://localhost:{server.port}/data.csv", policy) == b"a,b\n1,2\n"
    checked = connections[0][0]
    assert checked.startswith("127.")  # the resolved address, not the name resolved again
    assert server.seen == [("/data.csv", f"localhost:{server.port}")]  # Host header kept


def test_a_redirect_to_a_refused_address_is_checked_again(server, connections):
    target = "http://169.254.169.254/latest/meta-data/"
    with pytest.raises(OutboundError, match=r"meta-data/ is refused: 169\.254\.169\.254 "
                                            r"resolves to a link-local address"):
        fetch(f"http://127.0.0.1:{server.port}/go?{target}", LOCAL)
    assert len(connections) == 1 and len(server.seen) == 1


def test_a_redirect_to_another_loopback_name_needs_its_own_allowance(server, connections):
    policy = OutboundPolicy.from_settings("localhost")
    back = f"http://127.0.0.1:{server.port}/data.csv"
    with pytest.raises(OutboundError, match=r"is refused: 127\.0\.0\.1 resolves to a loopback"):
        fetch(f"http://localhost:{server.port}/go?{back}", policy)
    assert [path for path, _ in server.seen] == [f"/go?{back}"]


def test_an_allowed_redirect_is_followed(server):
    url = f"http://127.0.0.1:{server.port}/go?/data.csv"
    assert fetch(url, LOCAL) == b"a,b\n1,2\n"


def test_closed_and_refused_ports_read_the_same(server):
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = spare.getsockname()[1]
    open_port = server.port
    messages = {}
    for port in (open_port, closed):
        with pytest.raises(OutboundError) as info:
            fetch(f"http://127.0.0.1:{port}/x.csv", OutboundPolicy())
        messages[port] = str(info.value).replace(str(port), "PORT")
    assert messages[open_port] == messages[closed]
    with pytest.raises(OutboundError) as info:  # allowed, nothing listening
        fetch(f"http://127.0.0.1:{closed}/x.csv?token=SECRET", LOCAL)
    assert str(info.value) == f"could not fetch http://127.0.0.1:{closed}/x.csv"


def test_unknown_names_read_like_closed_ports():
    with pytest.raises(OutboundError, match=r"^could not fetch http://no-such-host\.invalid/x$"):
        fetch("http://no-such-host.invalid/x", OutboundPolicy())


def test_size_limit(server):
    small = OutboundPolicy.from_settings("127.0.0.1", max_bytes=4)
    with pytest.raises(OutboundError, match=r"data\.csv is larger than 4 bytes"):
        fetch(f"http://127.0.0.1:{server.port}/data.csv", small)


def test_too_many_redirects(server):
    url = f"http://127.0.0.1:{server.port}/go?/go?/go?/go?/go?/go?/go?/data.csv"
    with pytest.raises(OutboundError, match=r"redirects more than 5 times"):
        fetch(url, LOCAL)


def test_allow_list_setting_takes_hosts_and_ranges():
    policy = OutboundPolicy.from_settings(" 127.0.0.1, 10.0.0.0/8 ,files.internal., [::1] ,")
    assert policy.allow_hosts == {"files.internal"}
    assert [str(n) for n in policy.allow_networks] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    ip = outbound.ipaddress.ip_address
    assert policy.allows("x", ip("10.9.8.7")) and policy.allows("FILES.internal", ip("10.0.0.1"))
    assert not policy.allows("x", ip("192.168.1.1"))


def test_a_post_to_a_refused_address_never_connects(server, connections):
    with pytest.raises(OutboundError, match="resolves to a loopback address"):
        post(f"http://127.0.0.1:{server.port}/hook", b"{}", {}, OutboundPolicy())
    with pytest.raises(OutboundError, match="resolves to a private address"):
        check("https://10.0.0.5/hook", OutboundPolicy())
    assert connections == [] and server.seen == []


def test_a_post_answers_its_status_and_follows_no_redirect(server, connections):
    status = post(f"http://127.0.0.1:{server.port}/hook?k=1", b'{"a": 1}',
                  {"X-Designer-Event": "test"}, LOCAL)
    assert status == 202
    assert server.seen == [("/hook?k=1", f"127.0.0.1:{server.port}", b'{"a": 1}')]
    assert post(f"http://127.0.0.1:{server.port}/go?http://169.254.169.254/", b"{}", {},
                LOCAL) == 302
    assert len(server.seen) == 2
