"""Per-app runtime objects: module registry, artifact store, executor backend, dispatcher."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, current_app

from ..config import limits
from ..engine.artifacts import ArtifactStore
from ..engine.backends import make_backend
from ..engine.spec import ModuleSpec
from .dispatcher import Dispatcher
from .notices import Notices


class Runtime:
    """Created once by the app factory; the backend and dispatcher start on first use."""

    def __init__(self, app: Flask, modules: Mapping[str, ModuleSpec]):
        self.app = app
        self.modules = modules  # the module registry: name -> spec
        self.served: dict = {}  # real-time endpoint id -> its compiled graph in this process
        self.serving_stats: dict = {}  # real-time endpoint id -> its request counts, latencies
        self.store = ArtifactStore(app.config["DESIGNER_ARTIFACTS"])
        self.limits = limits(app.config)
        self.notices = Notices(app)  # queued runs, cancels and run events, heard at once
        self._backend = None
        self._dispatcher: Dispatcher | None = None

    @property
    def backend(self):
        """The executor backend named by DESIGNER_EXECUTOR."""
        if self._backend is None:
            self._backend = make_backend(self.app.config["DESIGNER_EXECUTOR"],
                                         self.app.config["DESIGNER_WORKERS"])
        return self._backend

    @property
    def dispatcher(self) -> Dispatcher:
        """This process's dispatcher (not started: ``start_dispatcher`` does that)."""
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(self.app, self.modules, self.backend, self.store,
                                          self.app.config["DESIGNER_MAX_CONCURRENT_RUNS"],
                                          self.limits, self.notices)
        return self._dispatcher

    def start_dispatcher(self) -> Dispatcher:
        """Start claiming queued runs in the background."""
        self.dispatcher.start()
        return self.dispatcher

    def shutdown(self) -> None:
        """Stop the dispatcher and the backend."""
        if self._dispatcher is not None:
            self._dispatcher.stop()
        self.notices.stop()
        if self._backend is not None:
            self._backend.shutdown()


def runtime() -> Runtime:
    """The runtime of the current app."""
    return current_app.extensions["designer"]
