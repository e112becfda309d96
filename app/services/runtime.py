"""Per-app runtime objects: module registry, artifact store, executor backend, dispatcher,
scheduler."""

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
        self.serving_stats: dict = {}  # real-time endpoint id -> its requests not yet logged
        # Submits read these once per process: experiments are never deleted or renamed, and
        # a published version never changes.
        self.experiment_ids: dict[str, int] = {}  # experiment name -> id
        self.versions: dict = {}  # (endpoint id, version) -> (document model, its JSON data)
        self.request_flusher = None  # writes serving_stats to the request log (request_log.py)
        self.store = ArtifactStore(app.config["DESIGNER_ARTIFACTS"],
                                   app.config["DESIGNER_STORAGE_OPTIONS"])
        self.limits = limits(app.config)
        self.notices = Notices(app)  # queued runs, cancels and run events, heard at once
        self._backend = None
        self._dispatcher: Dispatcher | None = None
        self._scheduler = None
        self._webhook_sender = None

    @property
    def backend(self):
        """The executor backend named by DESIGNER_EXECUTOR."""
        if self._backend is None:
            self._backend = make_backend(self.app.config["DESIGNER_EXECUTOR"],
                                         self.app.config["DESIGNER_WORKERS"],
                                         self.app.config["DESIGNER_DASK_ADDRESS"])
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

    def wake_dispatcher(self) -> None:
        """A run was queued: a started dispatcher looks now (none is created for it)."""
        if self._dispatcher is not None:
            self._dispatcher.wake()

    @property
    def scheduler(self):
        """This process's scheduler (not started: ``start_scheduler`` does that)."""
        from .scheduler import Scheduler  # it fires through services that import this one

        if self._scheduler is None:
            self._scheduler = Scheduler(self.app, self.app.config["DESIGNER_SCHEDULER_SECONDS"],
                                        self.app.config["DESIGNER_SCHEDULE_GRACE_SECONDS"])
        return self._scheduler

    def start_scheduler(self):
        """Fire schedules and poll new-data triggers in the background."""
        self.scheduler.start()
        return self.scheduler

    @property
    def webhook_sender(self):
        """This process's webhook delivery loop (started by ``start_webhook_sender`` or by the
        first delivery queued here)."""
        from .deliveries import Sender

        if self._webhook_sender is None:
            config = self.app.config
            self._webhook_sender = Sender(self.app, config["DESIGNER_WEBHOOK_ATTEMPTS"],
                                          config["DESIGNER_WEBHOOK_BACKOFF_SECONDS"],
                                          config["DESIGNER_WEBHOOK_POLL_SECONDS"])
        return self._webhook_sender

    def start_webhook_sender(self):
        """Send pending webhook deliveries in the background, those left by a restart too."""
        self.webhook_sender.start()
        return self.webhook_sender

    def run_ended(self, run_id: str) -> None:
        """A run reached Finished, Failed or Canceled: tell its webhooks."""
        from . import webhooks

        webhooks.run_ended(run_id)

    def shutdown(self) -> None:
        """Stop the scheduler, the dispatcher, the backend and webhook deliveries; write the
        request log's last counts."""
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._webhook_sender is not None:
            self._webhook_sender.stop()
        if self.request_flusher is not None:
            self.request_flusher.stop()
            self.request_flusher = None
        if self._dispatcher is not None:
            self._dispatcher.stop()
        self.notices.stop()
        if self._backend is not None:
            self._backend.shutdown()


def runtime() -> Runtime:
    """The runtime of the current app."""
    return current_app.extensions["designer"]
