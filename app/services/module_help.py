"""Module help pages: what a module's declaration and docstring say, ready for a template."""

from __future__ import annotations

from ..errors import NotFound
from .runtime import runtime

PORT_KINDS = {"dataframe": "Data set", "untrained_model": "Untrained model",
              "trained_model": "Trained model", "metrics": "Metrics",
              "transformation": "Transformation"}
PARAM_KINDS = {"string": "Text", "int": "Integer", "float": "Number", "bool": "True / false",
               "choice": "Choice", "columns": "Columns", "data_path": "Data path"}


def module_help(name: str) -> dict:
    """The help of module ``name`` (its catalogue description, formatted), or NotFound."""
    spec = runtime().modules.get(name)
    if spec is None:
        raise NotFound(f"No module is named '{name}'.")
    described = spec.describe()
    summary, *rest = [p.strip() for p in spec.description.split("\n\n") if p.strip()] or [""]
    return {
        "name": spec.name, "label": spec.label, "category": spec.category,
        "version": spec.version, "summary": summary,
        "details": [" ".join(p.split()) for p in rest],
        "inputs": [_port(p) for p in described["inputs"]],
        "outputs": [_port(p) for p in described["outputs"]],
        "params": [_param(p, described["params"]) for p in described["params"]],
    }


def _port(port: dict) -> dict:
    return port | {"kind": PORT_KINDS.get(port["type"], port["type"])}


def _param(param: dict, siblings: list[dict]) -> dict:
    labels = param.get("option_labels") or {}
    return param | {
        "kind_text": _kind_text(param),
        "default_text": _default_text(param, labels),
        "choices": [labels.get(o, o) for o in param.get("options") or []],
        "range_text": _range_text(param.get("min"), param.get("max")),
        "when_text": _when_text(param.get("when"), siblings),
    }


def _kind_text(param: dict) -> str:
    kind = PARAM_KINDS.get(param["kind"], param["kind"])
    if param["kind"] == "columns":
        kind = "One column" if param.get("single") else "Columns"
        return f"{kind} of the input '{param.get('input', 'dataset')}'"
    return kind + (" (optional)" if param.get("optional") else "")


def _default_text(param: dict, labels: dict) -> str:
    text = _value_text(param["default"], labels)
    return "none (required)" if text == "none" and not param.get("optional") else text


def _value_text(value, labels: dict) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ":".join(str(v) for v in value.values())
    return str(labels.get(value, value))


def _range_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}"
    if lo is not None:
        return f"at least {lo:g}"
    if hi is not None:
        return f"at most {hi:g}"
    return ""


def _when_text(when: dict | None, siblings: list[dict]) -> str:
    if not when:
        return ""
    by_name = {p["name"]: p for p in siblings}
    parts = []
    for name, wanted in when.items():
        sibling = by_name.get(name, {"label": name})
        labels = sibling.get("option_labels") or {}
        values = " or ".join(_value_text(w, labels) for w in wanted)
        parts.append(f"{sibling['label']} is {values}")
    return "Applies when " + " and ".join(parts) + "."
