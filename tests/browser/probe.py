"""A probe installed in the page before its scripts run: which URLs the page's code fetched and
read, and what its event streams received. Tests wait on what the page did, not for a while."""

import time

SCRIPT = """
(() => {
  const probe = { asked: [], read: [], sources: 0, events: [], ends: 0, askedAtEnd: null };
  window.__probe = probe;
  // How many of ``list`` (URLs) match the regular expression ``pattern``.
  probe.count = (list, pattern) => list.filter((url) => new RegExp(pattern).test(url)).length;
  const nativeFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href).href;
    probe.asked.push(url);
    return nativeFetch.call(this, input, init).then((response) => {
      const text = response.text.bind(response);
      // Counted in a task after the body arrived: every continuation of the caller (all
      // microtasks) has run by then.
      response.text = () => text().finally(() => setTimeout(() => probe.read.push(url)));
      return response;
    });
  };
  const NativeSource = window.EventSource;
  window.EventSource = class extends NativeSource {
    constructor(...args) {
      super(...args);
      probe.sources += 1;
      const stream = probe.sources;
      for (const type of ["run", "step", "log"]) {
        this.addEventListener(type, (event) => probe.events.push(
          { stream, type, id: Number(event.lastEventId), data: JSON.parse(event.data) }));
      }
      this.addEventListener("end", () => {
        probe.ends += 1;
        probe.askedAtEnd = probe.asked.length;
      });
    }
  };
})();
"""


def install(page) -> None:
    """Put the probe into every document the page opens from now on."""
    page.add_init_script(SCRIPT)


def state(page) -> dict:
    """The probe's record so far."""
    return page.evaluate("() => window.__probe")


def wait_for(page, condition: str, arg=None, timeout: float = 30_000) -> None:
    """Wait until the JavaScript ``condition(probe, arg)`` holds."""
    page.wait_for_function(f"(arg) => ({condition})(window.__probe, arg)", arg=arg,
                           timeout=timeout)


def wait_until(page, condition, timeout: float = 10_000, what: str = "the condition") -> None:
    """Let the page run (and Playwright call route handlers) until ``condition()`` is true."""
    deadline = time.monotonic() + timeout / 1000
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout / 1000:g} s"
        page.wait_for_timeout(50)
