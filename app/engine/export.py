"""Export as Python: a pipeline document as one standalone pandas / scikit-learn script.

The script holds one function per module kind the pipeline uses (the module's own code,
gathered by app.engine.sources), takes the pipeline parameters and each datastore's folder
as command-line options, runs the steps in the run's order and prints the metrics of every
Evaluate Model step as JSON, keyed by node id like a run's metrics.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from .column_rules import is_rule_set, select_in
from .document import PipelineDocument, binding_name
from .executor import Plan
from .sources import Sources
from .spec import METRICS, ModuleSpec

ARG_TYPES = {"int": "int", "float": "float", "string": "str", "choice": "str",
             "data_path": "str"}


class NotExportable(ValueError):
    """A node whose module a standalone script cannot run."""

    def __init__(self, node: str, message: str):
        super().__init__(message)
        self.node = node


def export_script(doc: PipelineDocument, plan: Plan, registry: Mapping[str, ModuleSpec], *,
                  overrides: Mapping[str, Callable], not_exportable: Mapping[str, str],
                  helpers: Mapping[str, Callable], substitutes: Mapping[Any, Any]) -> str:
    """The script's text; ``plan`` is the validated plan of ``doc`` with default values.

    ``overrides`` replace a module's function, ``not_exportable`` names modules refused with
    their reason, ``helpers`` holds the script's ``data_file`` and ``yes_no`` functions.
    """
    for node_id in plan.order:
        spec = plan.steps[node_id].spec
        if spec.name in not_exportable:
            raise NotExportable(node_id, f"{spec.label} ({node_id}) cannot be exported as "
                                         f"Python: {not_exportable[spec.name]}.")
    sources = Sources(substitutes)
    functions = {}
    for node_id in plan.order:
        spec = plan.steps[node_id].spec
        if spec.name not in functions:
            functions[spec.name] = sources.add(overrides.get(spec.name, spec.fn), spec.name)
    stores = _datastores(doc, plan)
    options = _options(doc, stores, sources, helpers)
    body = _run_body(doc, plan, registry, functions, sources, helpers)
    return _assemble(doc, sources, options, body)


def _datastores(doc: PipelineDocument, plan: Plan) -> list[str]:
    """Every datastore a data path names (in literals and parameter defaults)."""
    found = []
    for param in doc.parameters:
        if param.type == "data_path" and param.default:
            found.append(param.default["datastore"])
    for step in plan.steps.values():
        for p in step.spec.params:
            value = step.params.get(p.name)
            if p.kind == "data_path" and value:
                found.append(value["datastore"])
    return list(dict.fromkeys(found))


def option_name(name: str) -> str:
    """The command-line option of a parameter or datastore: ``training_data`` ->
    ``--training-data``."""
    return "--" + re.sub(r"[^0-9A-Za-z]+", "-", name).strip("-").lower()


def _dest(option: str) -> str:
    """The attribute of ``args`` an option fills: a Python name, never a keyword."""
    name = option[2:].replace("-", "_")
    return name + "_" if keyword.iskeyword(name) else name


def _options(doc, stores, sources: Sources, helpers) -> list[str]:
    """The ``parser.add_argument`` lines: one per datastore folder and per parameter."""
    lines = []
    for store in stores:
        option = option_name(store + "-dir")
        lines.append(f"parser.add_argument({option!r}, dest={_dest(option)!r}, default='.', "
                     f"help={f'folder of the datastore {store!r} (default: .)'!r})")
    for param in doc.parameters:
        kind = ARG_TYPES.get(param.type, "str")
        if param.type == "bool":
            kind = sources.add(helpers["yes_no"])
        default = param.default
        if param.type == "data_path" and default:
            default = default["path"]
        extra = f", choices={param.options!r}" if param.type == "choice" else ""
        text = param.description or f"pipeline parameter {param.name}"
        if param.type == "data_path" and param.default:
            folder = option_name(param.default["datastore"] + "-dir")
            text += f" (a path inside {folder}, or an absolute path)"
        option = option_name(param.name)
        lines.append(f"parser.add_argument({option!r}, dest={_dest(option)!r}, type={kind}, "
                     f"default={default!r}{extra}, help={text + ' (default: %(default)s)'!r})")
    return lines


def _run_body(doc, plan: Plan, registry, functions, sources: Sources, helpers) -> list[str]:
    """One call per step, in the run's order, then the metrics of the metrics outputs."""
    names = {node_id: _variable(node_id, sources.names) for node_id in plan.order}
    lines, metrics = [], []
    for node_id in plan.order:
        step = plan.steps[node_id]
        node = doc.node(node_id)
        args = [f"{names[src]}[{port!r}]" for src, port in
                (step.inputs.get(p.name, (None, None)) for p in step.spec.inputs) if src]
        for p in step.spec.params:
            value = _value(doc, node.params.get(p.name), step.params[p.name], p, sources, helpers)
            if p.kind == "columns" and is_rule_set(step.params[p.name]):
                # Rules are resolved on the columns that arrive, as in a run.
                src, port = step.inputs.get(p.input, (None, None))
                frame = f"{names[src]}[{port!r}]" if src else "None"
                value = f"{sources.add(select_in)}({value}, {frame})"
            args.append(f"{p.name}={value}")
        call = f"{functions[step.spec.name]}({', '.join(args)})"
        lines.append(f"# {step.spec.label} ({node_id})")
        lines.append(f"{names[node_id]} = {call}")
        metrics += [(node_id, f"{names[node_id]}[{p.name!r}]['metrics']")
                    for p in step.spec.outputs if p.type == METRICS]
    lines.append("return {" + ", ".join(f"{n!r}: {m}" for n, m in metrics) + "}")
    return lines


def _value(doc, raw, resolved, param, sources: Sources, helpers) -> str:
    """The argument's code: the parameter's option, or the node's literal value."""
    name = binding_name(raw)
    if name is not None:
        dest = _dest(option_name(name))
        if param.kind == "data_path":
            store = doc.parameter(name).default["datastore"]
            folder = _dest(option_name(store + "-dir"))
            return f"{sources.add(helpers['data_file'])}(args.{folder}, args.{dest})"
        return f"args.{dest}"
    if param.kind == "data_path" and resolved:
        folder = _dest(option_name(resolved["datastore"] + "-dir"))
        return f"{sources.add(helpers['data_file'])}(args.{folder}, {resolved['path']!r})"
    return repr(resolved)


def _variable(node_id: str, taken: set[str]) -> str:
    """A Python name for a step's outputs, clear of keywords and the script's own names."""
    name = re.sub(r"\W", "_", node_id)
    if not name or name[0].isdigit():
        name = "step_" + name
    while keyword.iskeyword(name) or name in taken or name in {"args", "argparse", "json"}:
        name += "_"
    return name


def _assemble(doc: PipelineDocument, sources: Sources, options, body) -> str:
    """The whole script: docstring, imports, definitions, options, ``run`` and ``main``."""
    title = doc.name or "Pipeline"
    head = [
        "#!/usr/bin/env python3",
        f'"""{_docstring_text(title)}: exported from Pipeline Designer.',
        "",
        *([_docstring_text(doc.description), ""] if doc.description else []),
        "Runs the pipeline's steps in order with pandas and scikit-learn and prints the",
        "metrics of each Evaluate Model step as JSON. Options: --help.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    imports = _import_lines(sources.imports | {"import argparse", "import json"})
    parts = ["\n".join(head + imports)] + sources.blocks
    parts.append("\n".join([
        "def parse_args(argv=None):",
        '    """The pipeline parameters and datastore folders from the command line."""',
        f"    parser = argparse.ArgumentParser(description={title!r})",
        *(f"    {line}" for line in options),
        "    return parser.parse_args(argv)",
    ]))
    parts.append("\n".join([
        "def run(args):",
        '    """Every step in order; the metrics of each Evaluate Model step by node id."""',
        *(f"    {line}" for line in body),
    ]))
    parts.append("\n".join([
        "def main(argv=None):",
        '    """Run the pipeline and print its metrics as JSON."""',
        "    print(json.dumps(run(parse_args(argv)), indent=2))",
        "",
        "",
        'if __name__ == "__main__":',
        "    main()",
    ]))
    return "\n\n\n".join(parts) + "\n"


def _import_lines(lines: set[str]) -> list[str]:
    """Standard library first, then the rest; ``from`` imports of one module merged."""
    merged: dict[str, list[str]] = {}
    for line in lines:
        words = line.split(" import ")
        if line.startswith("from "):
            merged.setdefault(words[0], []).append(words[1])
        else:
            merged.setdefault(line, [])
    out, last = [], None
    for key in sorted(merged, key=_import_group):
        if last is not None and _import_group(key)[0] != last:
            out.append("")
        last = _import_group(key)[0]
        out.append(f"{key} import {', '.join(sorted(merged[key]))}" if merged[key] else key)
    return out


def _import_group(key: str) -> tuple[bool, str]:
    """Sort key of an import: third-party after the standard library, then by module."""
    module = key.split()[1]
    return module.split(".")[0] not in sys.stdlib_module_names, module


def _docstring_text(text: str) -> str:
    """``text`` as it can stand in a triple-quoted string of the script: backslashes, quotes
    and control characters but newline and tab escaped (a NUL would stop it compiling)."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return "".join(f"\\x{ord(c):02x}" if (ord(c) < 32 and c not in "\n\t") or ord(c) == 127
                   else c for c in text)

