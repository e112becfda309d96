"""Python Language: Execute Python Script, Azure's ``azureml_main`` run in a sandboxed process.

The script never runs in the server's or the step worker's process: ``app.engine.sandbox``
starts a fresh interpreter with a clean environment in a scratch folder, within the step's
time and memory limits (see that module for what it can and cannot reach).
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

import pandas as pd

from app.engine.context import ModuleError, StepContext
from app.engine.datastores import DatastoreError
from app.engine.registry import module
from app.engine.sandbox import run_job
from app.engine.spec import DATAFRAME, DataPath, Port, Str

CATEGORY = "Python Language"
LABEL = "Execute Python Script"
MAX_BUNDLE_BYTES = 100 * 1024**2  # the zip file
MAX_BUNDLE_UNPACKED = 1024**3  # what it unpacks to
DEFAULT_SCRIPT = '''\
# The script must define a function named azureml_main: the module calls it with the
# data sets wired to its Dataframe1 and Dataframe2 ports (None when a port is not wired).
import pandas as pd

# The modules of a zip file chosen as the script bundle can be imported here:
# import mymodule


def azureml_main(dataframe1=None, dataframe2=None):
    # What the script prints goes to the step's log and to the Python device output.
    print(f"Input rows: {0 if dataframe1 is None else len(dataframe1)}")
    # Return one data frame (Result dataset) or two (Result dataset, Result dataset 2).
    return dataframe1,
'''


def script_field(default: str) -> Str:
    """The script field: Python source, edited in the details panel's code editor."""
    return Str("script", default=default, multiline=True, language="python",
               label="Python script", max_length=200_000)


def bundle_field() -> DataPath:
    """The optional script bundle: a zip in a datastore whose modules the script imports."""
    return DataPath("script_bundle", optional=True, label="Script bundle",
                    description="A .zip file in a datastore: the script can import the "
                                "Python modules it holds.")


def bundle_path(bundle: dict | None, ctx: StepContext, label: str) -> Path | None:
    """The script bundle's file, checked: a zip inside its datastore, of bounded size."""
    if not bundle:
        return None
    where = f"{bundle['datastore']}:{bundle['path']}"
    if PurePosixPath(bundle["path"]).suffix.lower() != ".zip":
        raise ModuleError(f"{label}: the script bundle '{where}' is not a .zip file.")
    try:
        file = ctx.resolve(bundle["datastore"], bundle["path"])
    except DatastoreError as exc:
        raise ModuleError(f"{label}: the script bundle: {exc}") from None
    if not file.is_file():
        raise ModuleError(f"{label}: the script bundle '{where}' does not exist.")
    if file.stat().st_size > MAX_BUNDLE_BYTES or not zipfile.is_zipfile(file):
        raise ModuleError(f"{label}: the script bundle '{where}' is not a zip file of at most "
                          f"{MAX_BUNDLE_BYTES // 1024**2} MB.")
    with zipfile.ZipFile(file) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_BUNDLE_UNPACKED:
            raise ModuleError(f"{label}: the script bundle '{where}' unpacks to more than "
                              f"{MAX_BUNDLE_UNPACKED // 1024**3} GB.")
    return file


def bundle_fingerprint(params: dict, datastores) -> str | None:
    """Changes when the script bundle's file does, so an edited bundle is not reused."""
    bundle = params.get("script_bundle")
    if not bundle:
        return ""
    try:
        file = datastores.resolve(bundle["datastore"], bundle["path"])
        stat = file.stat()
    except (DatastoreError, OSError):
        return None
    return f"{file}|{stat.st_size}|{stat.st_mtime_ns}"


def printed_frame(printed: list[tuple[str, str]]) -> pd.DataFrame:
    """The Python device output: each printed line with the stream it went to."""
    return pd.DataFrame({"Stream": pd.Series([s for s, _ in printed], dtype="str"),
                         "Text": pd.Series([t for _, t in printed], dtype="str")})


@module(
    "execute_python_script",
    label=LABEL,
    category=CATEGORY,
    inputs=[Port("dataframe1", DATAFRAME, optional=True, label="Dataframe1"),
            Port("dataframe2", DATAFRAME, optional=True, label="Dataframe2")],
    outputs=[Port("result_dataset", DATAFRAME, label="Result dataset"),
             Port("result_dataset2", DATAFRAME, label="Result dataset 2"),
             Port("python_device", DATAFRAME, label="Python device")],
    params=[script_field(DEFAULT_SCRIPT), bundle_field()],
    fingerprint=bundle_fingerprint,
)
def execute_python_script(dataframe1=None, dataframe2=None, *, script, script_bundle,
                          ctx=None):
    """Run azureml_main(dataframe1, dataframe2) of a Python script on the wired data sets.

    The script runs in a process of its own, without the server's environment, files or
    network, within the step's time and memory limits. It returns a data frame (Result
    dataset) or a tuple of two (the second is Result dataset 2, else empty); what it prints
    goes to the step log and to Python device. An exception fails the step naming the
    script's line.
    """
    ctx = ctx or StepContext("execute_python_script")
    bundle = bundle_path(script_bundle, ctx, LABEL)
    result = run_job("script", {"script": script}, ctx, LABEL, bundle=bundle,
                     frames={"dataframe1": dataframe1, "dataframe2": dataframe2})
    if not result.landlock:
        ctx.log("note: this kernel has no Landlock; the script ran with a clean environment "
                "but unrestricted file access")
    frames = result.frames
    return {"result_dataset": frames["result1.arrow"],
            "result_dataset2": frames.get("result2.arrow", pd.DataFrame()),
            "python_device": printed_frame(result.printed)}
