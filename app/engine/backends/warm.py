"""Imported once by the process backend's fork server: every worker starts with the modules
(pandas, scikit-learn and the OpenMP runtime) already loaded."""

from ..registry import discover

discover()
