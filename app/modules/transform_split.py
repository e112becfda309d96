"""Split Data (Data Transformation): by row fraction, regular expression or comparison.

Expressions use the Azure ML designer syntax: a column is written ``\\"name"``.
Regular expression: ``\\"native-country" United-States`` (rows whose value matches, by
re.search, go to the first output). Relative expression: ``\\"age" > 40``, combined with
``&`` and ``|`` (``&`` binds tighter) and parentheses. A small hand-written parser reads
them: no eval, no DataFrame.query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from pandas.api import types as ptypes
from sklearn.model_selection import train_test_split

from app.engine.columns import passed_through
from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import DATAFRAME, MAX_SEED, Bool, Choice, Columns, Float, Int, Port, Str

from .transform import CATEGORY, is_numeric, require_columns

LABEL = "Split Data"
OPERATORS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "==": "eq", "=": "eq",
             "!=": "ne", "<>": "ne"}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<column>\\"(?P<name>[^"]*)")
    | (?P<op>>=|<=|<>|!=|==|=|>|<)
    | (?P<and>&&?)
    | (?P<or>\|\|?)
    | (?P<lpar>\()
    | (?P<rpar>\))
    | (?P<string>"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')
    | (?P<word>[^\s&|()<>=!"']+)
    )""",
    re.VERBOSE,
)
_REGEX_FORM = re.compile(r'\s*\\"(?P<name>[^"]*)"(?P<pattern>.*)\Z', re.DOTALL)


ROWS = {"mode": "split_rows"}  # the fields of Split Data's "Split rows" mode


@module(
    "split_data", label=LABEL, category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME)],
    outputs=[Port("results1", DATAFRAME), Port("results2", DATAFRAME)],
    columns=passed_through("dataset", "results1", "results2", keeps_types=True),
    params=[
        Choice("mode", options=["split_rows", "regular_expression", "relative_expression"],
               default="split_rows", label="Splitting mode",
               option_labels={"split_rows": "Split rows",
                              "regular_expression": "Regular expression split",
                              "relative_expression": "Relative expression split"}),
        Float("fraction", default=0.5, min=0.0, max=1.0, when=ROWS,
              description="Share of the rows that go to the first output."),
        Bool("randomized", default=True, when=ROWS),
        Int("seed", default=0, min=0, max=MAX_SEED, when=ROWS,
            description="Makes a randomized split repeatable."),
        Bool("stratified", default=False, when=ROWS),
        Columns("stratify_column", single=True, optional=True,
                when={"mode": "split_rows", "stratified": True}),
        Str("expression", default="", when={"mode": ["regular_expression", "relative_expression"]}),
    ],
)
def split_data(dataset, *, mode, fraction, randomized, seed, stratified, stratify_column,
               expression):
    """Split rows into two data sets: a fraction of rows, or the rows matching an expression."""
    if mode == "split_rows":
        first, second = _split_rows(dataset, fraction, randomized, seed,
                                    stratify_column if stratified else False)
    else:
        if not expression.strip():
            raise ModuleError(f"{LABEL}: the {mode.replace('_', ' ')} mode needs an expression, "
                              f"e.g. {_EXAMPLES[mode]}")
        if mode == "regular_expression":
            mask = regex_mask(dataset, expression)
        else:
            mask = RelativeParser(expression, dataset).parse()
        first, second = dataset[mask], dataset[~mask]
    return {"results1": first.reset_index(drop=True), "results2": second.reset_index(drop=True)}


_EXAMPLES = {
    "regular_expression": '\\"native-country" United-States',
    "relative_expression": '\\"age" > 40',
}


def _split_rows(df, fraction, randomized, seed, stratify_column):
    """The two row sets; ``stratify_column`` is False when not stratified."""
    if stratify_column is not False:
        if not stratify_column:
            raise ModuleError(f"{LABEL}: stratified split needs a stratify_column")
        require_columns(df, [stratify_column], LABEL, "stratify column")
        if not randomized:
            raise ModuleError(f"{LABEL}: a stratified split must be randomized "
                              "(set randomized to true or stratified to false)")
    if fraction <= 0.0 or fraction >= 1.0 or len(df) == 0:
        cut = len(df) if fraction >= 1.0 else 0
        return df.iloc[:cut], df.iloc[cut:]
    strata = None
    if stratify_column:
        strata = df[stratify_column]
        if strata.isna().any():
            # sklearn cannot sort NaN among labels; missing values form their own stratum.
            strata = strata.astype("str").fillna("(missing)")
    try:
        return train_test_split(df, train_size=fraction, random_state=seed, shuffle=randomized,
                                stratify=strata)
    except ValueError as exc:
        raise ModuleError(f"{LABEL}: cannot split {len(df)} rows with fraction {fraction}: "
                          f"{exc}") from None


def regex_mask(df: pd.DataFrame, expression: str) -> pd.Series:
    """Rows whose column value matches the pattern of ``\\"column" pattern``."""
    match = _REGEX_FORM.match(expression)
    if not match:
        raise ModuleError(
            f"{LABEL}: cannot read the regular expression `{expression}`: expected a column "
            f'in the form \\"column name" followed by a pattern, e.g. '
            f"{_EXAMPLES['regular_expression']}"
        )
    name, pattern = match["name"], match["pattern"].strip()
    require_columns(df, [name], LABEL)
    if not pattern:
        raise ModuleError(f"{LABEL}: the regular expression `{expression}` has no pattern "
                          f'after \\"{name}"')
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ModuleError(f"{LABEL}: invalid regular expression {pattern!r}: {exc}") from None
    values = df[name]
    present = values.notna()
    hits = [bool(compiled.search(str(v))) for v in values[present]]
    mask = pd.Series(False, index=df.index)
    mask[present] = hits
    return mask


@dataclass
class _Token:
    kind: str
    text: str
    pos: int
    value: str = ""


class RelativeParser:
    """Recursive-descent parser evaluating a relative expression to a row mask.

    expr := term ("|" term)* ; term := factor ("&" factor)* ;
    factor := "(" expr ")" | COLUMN OPERATOR VALUE.
    """

    def __init__(self, expression: str, df: pd.DataFrame):
        self.expression = expression
        self.df = df
        self.tokens = self._tokenize(expression)
        self.i = 0

    def _tokenize(self, text: str) -> list[_Token]:
        tokens, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                start = len(text[pos:]) - len(text[pos:].lstrip()) + pos
                self._fail(f"an unexpected character {text[start]!r}", start)
            kind = match.lastgroup  # the outermost alternative: it closes last
            if kind == "column":
                value = match["name"]
            elif kind == "string":
                value = match["dq"] if match["dq"] is not None else match["sq"]
            else:
                value = match[kind]
            tokens.append(_Token(kind, match[kind], match.start(kind), value))
            pos = match.end()
        return tokens

    def _fail(self, found: str, pos: int, expected: str = "") -> None:
        where = f" at position {pos + 1}" if pos >= 0 else ""
        want = f"expected {expected}, found " if expected else "found "
        raise ModuleError(
            f"{LABEL}: cannot read the relative expression `{self.expression}`{where}: "
            f"{want}{found} (form: {_EXAMPLES['relative_expression']}, joined by & or |)"
        )

    def _peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self, kind: str, expected: str) -> _Token:
        token = self._peek()
        if token is None:
            self._fail("the end of the expression", len(self.expression), expected)
        if token.kind != kind:
            self._fail(repr(token.text), token.pos, expected)
        self.i += 1
        return token

    def parse(self) -> pd.Series:
        """The boolean row mask; raises ModuleError on a malformed expression."""
        mask = self._expr()
        token = self._peek()
        if token is not None:
            self._fail(repr(token.text), token.pos, "& or | or the end of the expression")
        return mask

    def _expr(self) -> pd.Series:
        mask = self._term()
        while (token := self._peek()) is not None and token.kind == "or":
            self.i += 1
            mask = mask | self._term()
        return mask

    def _term(self) -> pd.Series:
        mask = self._factor()
        while (token := self._peek()) is not None and token.kind == "and":
            self.i += 1
            mask = mask & self._factor()
        return mask

    def _factor(self) -> pd.Series:
        token = self._peek()
        if token is not None and token.kind == "lpar":
            self.i += 1
            mask = self._expr()
            self._take("rpar", "')'")
            return mask
        column = self._take("column", 'a column in the form \\"name"')
        op = self._take("op", "an operator (>, >=, <, <=, ==, !=)")
        value = self._peek()
        if value is None or value.kind not in ("word", "string"):
            found = "the end of the expression" if value is None else repr(value.text)
            self._fail(found, len(self.expression) if value is None else value.pos,
                       f"a value after {op.text}")
        self.i += 1
        return self._compare(column.value, OPERATORS[op.text], value)

    def _compare(self, name: str, op: str, token: _Token) -> pd.Series:
        require_columns(self.df, [name], LABEL)
        series = self.df[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(series.cat.categories.dtype)
        value = self._typed_value(series, token)
        if not (is_numeric(series) or ptypes.is_bool_dtype(series.dtype)
                or ptypes.is_datetime64_any_dtype(series.dtype)):
            series = series.map(str, na_action="ignore")
        # Missing values satisfy no comparison (not even !=): they go to the second output.
        result = getattr(series, op)(value)
        return result.fillna(False).astype(bool) & series.notna()

    def _typed_value(self, series: pd.Series, token: _Token):
        text = token.value
        try:
            if is_numeric(series):
                return float(text)
            if ptypes.is_bool_dtype(series.dtype):
                return {"true": True, "1": True, "false": False, "0": False}[text.lower()]
            if ptypes.is_datetime64_any_dtype(series.dtype):
                return pd.Timestamp(text)
        except (ValueError, KeyError):
            raise ModuleError(
                f"{LABEL}: in `{self.expression}`, {text!r} cannot be compared with column "
                f"{series.name!r} of type {series.dtype}"
            ) from None
        return text
