"""Execute Python Script against the same pandas code run directly; its log and its errors."""

import textwrap

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from app.engine.context import ModuleError, StepContext
from app.engine.datastores import Datastores
from app.engine.registry import REGISTRY

TRANSFORM = """\
import pandas as pd

def azureml_main(dataframe1=None, dataframe2=None):
    print("rows in:", len(dataframe1))
    out = dataframe1[dataframe1["age"] >= 30].copy()
    out["age_x2"] = out["age"] * 2
    out["name"] = out["name"].str.upper()
    joined = out.merge(dataframe2, on="name", how="left")
    return joined.reset_index(drop=True), dataframe2.describe().reset_index()
"""


def direct(dataframe1, dataframe2):
    """The script's azureml_main, run here as plain pandas."""
    out = dataframe1[dataframe1["age"] >= 30].copy()
    out["age_x2"] = out["age"] * 2
    out["name"] = out["name"].str.upper()
    joined = out.merge(dataframe2, on="name", how="left")
    return joined.reset_index(drop=True), dataframe2.describe().reset_index()


def execute(script, dataframe1=None, dataframe2=None, ctx=None, **params):
    spec = REGISTRY["execute_python_script"]
    ctx = ctx or StepContext("py", datastores=Datastores({}))
    values = spec.resolve_params({"script": script, **params})
    return spec.call({"dataframe1": dataframe1, "dataframe2": dataframe2}, values, ctx), ctx


@pytest.fixture
def people():
    return pd.DataFrame({"name": ["ann", "bob", "cy", "dee"], "age": [25, 31, 47, 30],
                         "score": [1.5, None, 3.25, 4.0]})


@pytest.fixture
def cities():
    return pd.DataFrame({"name": ["BOB", "CY", "EVE"], "city": ["Oslo", "Lima", "Pune"],
                         "rank": [2, 1, 3]})


def test_result_equals_the_same_pandas_code_run_directly(people, cities):
    out, ctx = execute(TRANSFORM, people, cities)
    first, second = direct(people, cities)
    assert_frame_equal(out["result_dataset"], first)
    assert_frame_equal(out["result_dataset2"], second)
    assert out["python_device"].to_dict("list") == {"Stream": ["stdout"],
                                                     "Text": ["rows in: 4"]}
    assert any(line.endswith("] rows in: 4") for line in ctx.lines)


def test_one_frame_leaves_result_dataset2_empty_and_an_unwired_port_is_none(people):
    script = textwrap.dedent("""\
        import sys
        def azureml_main(dataframe1=None, dataframe2=None):
            print("second is", dataframe2)
            print("to stderr", file=sys.stderr)
            return dataframe1
        """)
    out, ctx = execute(script, people)
    assert_frame_equal(out["result_dataset"], people)
    assert out["result_dataset2"].empty
    assert out["python_device"].values.tolist() == [["stdout", "second is None"],
                                                    ["stderr", "to stderr"]]
    assert any(line.endswith("stderr: to stderr") for line in ctx.lines)


def test_the_default_script_returns_its_input(people):
    spec = REGISTRY["execute_python_script"]
    out, _ = execute(spec.param("script").default, people)
    assert_frame_equal(out["result_dataset"], people)


def test_an_exception_names_the_scripts_line_and_logs_its_traceback(people):
    script = "def azureml_main(dataframe1=None, dataframe2=None):\n    x = 1\n    return x / 0\n"
    ctx = StepContext("py", datastores=Datastores({}))
    with pytest.raises(ModuleError, match=r"^Execute Python Script: line 3 of the script "
                                          r"raised ZeroDivisionError: division by zero$"):
        execute(script, people, ctx=ctx)
    log = "\n".join(ctx.lines)
    assert 'File "script.py", line 3, in azureml_main' in log
    assert "return x / 0" in log
    assert "sandbox_runner" not in log  # the runner's own frames are left out


def test_an_exception_at_the_top_level_names_its_line():
    with pytest.raises(ModuleError, match=r"line 2 of the script raised KeyError: 'nope'"):
        execute("import pandas\n{}['nope']\n")


@pytest.mark.parametrize(("script", "message"), [
    ("def azureml_main(dataframe1=None, dataframe2=None)\n    return dataframe1\n",
     r"syntax error in the script at line 1: expected ':'"),
    ("def main(dataframe1=None, dataframe2=None):\n    return dataframe1\n",
     r"the script defines no function azureml_main\(dataframe1=None, dataframe2=None\)"),
    ("def azureml_main(dataframe1=None, dataframe2=None):\n    return 42\n",
     r"azureml_main must return a pandas DataFrame \(or a tuple of one or two\); it returned int"),
    ("def azureml_main(dataframe1=None, dataframe2=None):\n    return dataframe1, 'x'\n",
     r"azureml_main must return .*; it returned a tuple of DataFrame, str"),
    ("import pandas as pd\ndef azureml_main(dataframe1=None, dataframe2=None):\n"
     "    return pd.DataFrame({'a': [object()]})\n",
     r"data frame 1 azureml_main returned cannot be stored as a data set"),
])
def test_what_a_script_gets_wrong_is_a_clear_step_error(people, script, message):
    with pytest.raises(ModuleError, match=r"^Execute Python Script: " + message):
        execute(script, people)


def test_a_bundles_modules_can_be_imported(tmp_path, people):
    import zipfile

    with zipfile.ZipFile(tmp_path / "helpers.zip", "w") as archive:
        archive.writestr("helpers.py", "def double(frame):\n    return frame * 2\n")
    script = ("import helpers\ndef azureml_main(dataframe1=None, dataframe2=None):\n"
              "    return helpers.double(dataframe1[['age']])\n")
    ctx = StepContext("py", datastores=Datastores({"files": tmp_path}))
    out, _ = execute(script, people, ctx=ctx,
                     script_bundle={"datastore": "files", "path": "helpers.zip"})
    assert out["result_dataset"]["age"].tolist() == [50, 62, 94, 60]
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ModuleError, match="the script bundle 'files:notes.txt' is not a .zip"):
        execute(script, people, ctx=ctx, script_bundle={"datastore": "files",
                                                        "path": "notes.txt"})
    with pytest.raises(ModuleError, match="'files:gone.zip' does not exist"):
        execute(script, people, ctx=ctx, script_bundle={"datastore": "files",
                                                        "path": "gone.zip"})
