"""Apply Math Operation (Data Transformation): one function of Azure's math categories applied
to numeric columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from app.engine.registry import module
from app.engine.spec import DATAFRAME, Choice, Columns, Float, Int, Port

from .transform import CATEGORY
from .transform_values import BIG, OUTPUT_MODES, require_numeric, result_names, with_results

LABEL = "Apply Math Operation"


def _unary(f):
    return lambda x, c, p: f(x)


def _half_up(x, p):
    """Round half away from zero (the 4/5 rule), not numpy's half to even."""
    scale = 10.0**p
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


# The functions by category: name -> f(x, constant, precision).
MATH = {
    "basic": {
        "Abs": _unary(np.abs), "CubeRoot": _unary(np.cbrt), "Exp": _unary(np.exp),
        "Exp2": lambda x, c, p: c * np.exp2(x), "ExpMinus1": _unary(np.expm1),
        "Ln": _unary(np.log), "LnPlus1": _unary(np.log1p), "Log10": _unary(np.log10),
        "Log2": _unary(np.log2), "NthRoot": lambda x, c, p: np.power(x, 1.0 / c),
        "Pow": lambda x, c, p: np.power(x, c), "Sqrt": _unary(np.sqrt),
        "SqrtPi": lambda x, c, p: np.sqrt(x * np.pi), "Square": _unary(np.square),
    },
    "compare": {
        "EqualTo": lambda x, c, p: x == c, "NotEqualTo": lambda x, c, p: x != c,
        "GreaterThan": lambda x, c, p: x > c, "GreaterThanOrEqualTo": lambda x, c, p: x >= c,
        "LessThan": lambda x, c, p: x < c, "LessThanOrEqualTo": lambda x, c, p: x <= c,
        "PairMax": lambda x, c, p: np.maximum(x, c), "PairMin": lambda x, c, p: np.minimum(x, c),
    },
    "operations": {
        "Add": lambda x, c, p: x + c, "Subtract": lambda x, c, p: x - c,
        "Multiply": lambda x, c, p: x * c, "Divide": lambda x, c, p: x / c,
    },
    "rounding": {
        "Ceiling": _unary(np.ceil), "Floor": _unary(np.floor),
        "RoundDigits": lambda x, c, p: _half_up(x, p),
        "RoundUp": lambda x, c, p: np.ceil(x * 10.0**p) / 10.0**p,
        "RoundDown": lambda x, c, p: np.floor(x * 10.0**p) / 10.0**p,
        "Truncate": lambda x, c, p: np.trunc(x * 10.0**p) / 10.0**p,
    },
    "special": {
        "Erf": _unary(special.erf), "Erfc": _unary(special.erfc),
        "ErfInverse": _unary(special.erfinv), "Gamma": _unary(special.gamma),
        "GammaLn": _unary(special.gammaln),
    },
    "trigonometric": {
        name: _unary(getattr(np, fn)) for name, fn in [
            ("Acos", "arccos"), ("Acosh", "arccosh"), ("Asin", "arcsin"), ("Asinh", "arcsinh"),
            ("Atan", "arctan"), ("Atanh", "arctanh"), ("Cos", "cos"), ("Cosh", "cosh"),
            ("Sin", "sin"), ("Sinh", "sinh"), ("Tan", "tan"), ("Tanh", "tanh"),
            ("Degrees", "degrees"), ("Radians", "radians")]
    },
}
# The functions that take the constant, those that take the precision, those giving true/false.
WITH_CONSTANT = {"Exp2", "NthRoot", "Pow", *MATH["compare"], *MATH["operations"]}
WITH_PRECISION = {"RoundDigits", "RoundUp", "RoundDown", "Truncate"}
TRUE_FALSE = {name for name in MATH["compare"] if not name.startswith("Pair")}
# Each category's function field (the category picks which one applies) and its default.
FUNCTION_FIELDS = {"basic": ("basic_function", "Abs"), "compare": ("comparison", "EqualTo"),
                   "operations": ("operation", "Add"),
                   "rounding": ("rounding_operation", "Ceiling"),
                   "special": ("special_function", "Erf"),
                   "trigonometric": ("trigonometric_function", "Sin")}


def _function(params) -> str:
    field_name, _ = FUNCTION_FIELDS[params["category"]]
    return params[field_name]


def _name(col, function, params) -> str:
    """Azure's result names: Sqrt(age), Add(age_$2), RoundDigits(price_$1)."""
    if function in WITH_CONSTANT:
        return f"{function}({col}_${params['constant']:g})"
    if function in WITH_PRECISION:
        return f"{function}({col}_${params['precision']})"
    return f"{function}({col})"


def _math_columns(fed, params, datastores):
    names = fed.get("dataset")
    if names is None:
        return {"results_dataset": None}
    function = _function(params)
    results = {c: _name(c, function, params) for c in params["columns"]}
    return {"results_dataset": result_names(names, results, params["output_mode"])}


@module(
    "apply_math_operation", label=LABEL, category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)], outputs=[Port("results_dataset", DATAFRAME)],
    columns=_math_columns,
    params=[
        Choice("category", options=list(MATH), default="basic"),
        *(Choice(field_name, options=list(MATH[category]), default=default)
          for category, (field_name, default) in FUNCTION_FIELDS.items()),
        Float("constant", default=1.0, min=-BIG, max=BIG, label="Second argument",
              description="The constant of Exp2, NthRoot, Pow, the comparisons and the "
                          "arithmetic operations."),
        Int("precision", default=0, min=0, max=15, label="Constant precision",
            description="Decimal digits kept by RoundDigits, RoundUp, RoundDown, Truncate."),
        Columns("columns", label="Column set"),
        Choice("output_mode", options=OUTPUT_MODES, default="append"),
    ],
)
def apply_math_operation(dataset, *, category, basic_function, comparison, operation,
                         rounding_operation, special_function, trigonometric_function, constant,
                         precision, columns, output_mode):
    """Apply one math function to each selected numeric column.

    The category picks which function field applies. Result columns are named after the
    function, the column and its argument ("Sqrt(age)", "Add(age_$2)"). Comparisons give
    true/false; everything else floats, with a missing value where the function is not
    defined (the log of a negative number). RoundDigits rounds halves away from zero.
    """
    require_numeric(dataset, columns, LABEL)
    params = {"category": category, "basic_function": basic_function,
              "comparison": comparison, "operation": operation,
              "rounding_operation": rounding_operation, "special_function": special_function,
              "trigonometric_function": trigonometric_function, "constant": constant,
              "precision": precision}
    function = _function(params)
    fn = MATH[category][function]
    results = {}
    with np.errstate(all="ignore"):
        for col in columns:
            x = dataset[col].astype("float64").to_numpy()
            results[col] = (_name(col, function, params),
                            _result(fn(x, constant, precision), x, function in TRUE_FALSE))
    return {"results_dataset": with_results(dataset, results, output_mode, LABEL)}


def _result(values, x: np.ndarray, true_false: bool) -> np.ndarray | pd.array:
    """Floats with non-finite results missing, or true/false missing where x is."""
    if true_false:
        return pd.array(np.where(np.isnan(x), None, values), dtype="boolean")
    y = np.asarray(values, dtype="float64")
    y[~np.isfinite(y)] = np.nan
    return y
