"""Shared fixtures: the reference data folder beside the checkout, module discovery."""

from pathlib import Path

import pytest

from app.engine.registry import discover

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]


@pytest.fixture(scope="session", autouse=True)
def _modules():
    discover()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data sets; tests needing it skip when it is absent."""
    if not (SHARED_DATA / "adult.data").exists():
        pytest.skip("reference data folder ../shared/data is not beside the checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def adult(shared_data):
    """The UCI Adult training split as a DataFrame (real data, 32,561 rows)."""
    import pandas as pd

    return pd.read_csv(
        shared_data / "adult.data", header=None, names=ADULT_COLUMNS,
        skipinitialspace=True, na_values="?",
    )
