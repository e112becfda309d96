"""Text Analytics: Preprocess Text (English), with the helpers the n-gram modules share."""

from __future__ import annotations

import re

import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import DATAFRAME, Bool, Choice, Columns, Port, Str

from .transform import is_text, require_columns

CATEGORY = "Text Analytics"
LABEL = "Preprocess Text"
SENTENCE_MARK = "|||"  # Azure's sentence terminator between detected sentences

URL = re.compile(r"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)]")
EMAIL = re.compile(r"(?i)\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b")
NUMBER = re.compile(r"(?<![\w.,])[+-]?\d+(?:[.,]\d+)*(?![\w])")
REPEATS = re.compile(r"(.)\1{2,}", re.DOTALL)  # a character repeated more than twice
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
# A run of special characters inside a token ("MS---WORD"): one of them, spaced out.
INNER_SPECIALS = re.compile(r"(?<=\w)([^\w\s|])\1*(?=\w)")
SPECIALS = re.compile(r"[^\w\s]|_")
# The contractions English verbs make, longest first; 's stays (it also marks possession).
CONTRACTIONS = [
    (r"\bwon't\b", "will not"), (r"\bcan't\b", "can not"), (r"\bshan't\b", "shall not"),
    (r"\bain't\b", "am not"), (r"\blet's\b", "let us"), (r"n't\b", " not"),
    (r"'re\b", " are"), (r"'ve\b", " have"), (r"'ll\b", " will"), (r"'m\b", " am"),
    (r"'d\b", " would"),
    (r"\b(it|that|what|there|here|he|she|who|where|how)'s\b", r"\1 is"),
]
CONTRACTION_PATTERNS = [(re.compile(p, re.IGNORECASE), r) for p, r in CONTRACTIONS]


def _lemmatize(word: str) -> str:
    """The dictionary form of an English word (simplemma's English lexicon, bundled)."""
    import simplemma

    return simplemma.lemmatize(word, lang="en")


def expand_contractions(text: str) -> str:
    """"wouldn't stay" -> "would not stay", "they're" -> "they are" (case kept)."""
    for pattern, replacement in CONTRACTION_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _tokens(text: str, stop_words, lemmatize: bool) -> str:
    """Drop stop words, lemmatize; the sentence marks stay where they are."""
    words = []
    for word in text.split():
        if word == SENTENCE_MARK:
            words.append(word)
            continue
        if stop_words is not None and word.lower() in stop_words:
            continue
        words.append(_lemmatize(word) if lemmatize else word)
    return " ".join(words)


def preprocess(text, options: dict, stop_words) -> str:
    """One text cleaned as Preprocess Text does: ``options`` are the module's switches."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    text = str(text)
    if options["custom_regular_expression"]:
        text = re.sub(options["custom_regular_expression"],
                      options["custom_replacement_string"], text)
    if options["remove_urls"]:
        text = URL.sub(" ", text)
    if options["remove_email_addresses"]:
        text = EMAIL.sub(" ", text)
    if options["normalize_backslashes_to_slashes"]:
        text = text.replace("\\", "/")
    if options["expand_verb_contractions"]:
        text = expand_contractions(text)
    if options["normalize_case_to_lowercase"]:
        text = text.lower()
    if options["remove_duplicate_characters"]:
        text = REPEATS.sub(r"\1\1", text)
    if options["detect_sentences"]:
        text = f" {SENTENCE_MARK} ".join(SENTENCE_END.split(text.strip()))
    if options["split_tokens_on_special_characters"]:
        text = INNER_SPECIALS.sub(r" \1 ", text)
    if options["remove_numbers"]:
        text = NUMBER.sub(" ", text)
    if options["remove_special_characters"]:
        marks = SENTENCE_MARK if options["detect_sentences"] else None
        text = " ".join(w if w == marks else SPECIALS.sub(" ", w) for w in text.split())
    text = _tokens(text, stop_words if options["remove_stop_words"] else None,
                   options["use_lemmatization"])
    if options["detect_sentences"]:
        # No empty sentences: marks at either end or twice in a row say nothing.
        marks = re.escape(SENTENCE_MARK)
        text = re.sub(rf"(?:{marks}\s*)+(?={marks})", "", text)
        text = re.sub(rf"^\s*{marks}\s*|\s*{marks}\s*$", "", text)
    return text.strip()


def stop_word_list(stop_words: pd.DataFrame | None) -> frozenset:
    """The custom list (the first column of the Stop words input), else scikit-learn's."""
    if stop_words is None:
        return ENGLISH_STOP_WORDS
    if stop_words.shape[1] == 0:
        raise ModuleError(f"{LABEL}: the Stop words input has no column; give one column of "
                          "words, one a row")
    words = stop_words.iloc[:, 0].dropna().astype(str).str.strip().str.lower()
    return frozenset(w for w in words if w)


def output_name(column: str) -> str:
    """The appended column: "Preprocessed <column>", as Azure names it."""
    return f"Preprocessed {column}"


def _preprocessed_columns(fed, params, datastores):
    names = fed.get("dataset")
    if names is None:
        return {"results_dataset": None}
    return {"results_dataset": [*names, output_name(params["text_column"])]}


SWITCHES = [
    ("remove_stop_words", "Remove stop words",
     "Drop common English words (scikit-learn's list, or the Stop words input's first column)."),
    ("use_lemmatization", "Use lemmatization",
     "Replace each word by its dictionary form (simplemma's English lexicon): mice -> mouse."),
    ("detect_sentences", "Detect sentences",
     f"Put '{SENTENCE_MARK}' between sentences (a '.', '!' or '?' followed by a space)."),
    ("normalize_case_to_lowercase", "Normalize case to lowercase", "Lowercase every letter."),
    ("remove_numbers", "Remove numbers",
     "Drop numbers standing alone (12, 3.5, 1,000); digits inside a word (b2b) stay."),
    ("remove_special_characters", "Remove special characters",
     "Replace every character that is not a letter or digit by a space."),
    ("remove_duplicate_characters", "Remove duplicate characters",
     "Shorten a character repeated more than twice to two: 'sooooo' -> 'soo'."),
    ("remove_email_addresses", "Remove email addresses", "Drop name@domain.tld addresses."),
    ("remove_urls", "Remove URLs", "Drop http://, https://, ftp:// and www. addresses."),
    ("expand_verb_contractions", "Expand verb contractions",
     "wouldn't -> would not, they're -> they are, I'm -> I am."),
    ("normalize_backslashes_to_slashes", "Normalize backslashes to slashes",
     "Replace every '\\' by '/'."),
    ("split_tokens_on_special_characters", "Split tokens on special characters",
     "Split a word at special characters, one of a run kept: 'MS---WORD' -> 'MS - WORD'."),
]


@module(
    "preprocess_text", label=LABEL, category=CATEGORY,
    inputs=[Port("dataset", DATAFRAME), Port("stop_words", DATAFRAME, optional=True)],
    outputs=[Port("results_dataset", DATAFRAME)],
    columns=_preprocessed_columns,
    params=[
        Choice("language", options=["English"], default="English",
               description="The language of the text (English only)."),
        Columns("text_column", single=True, label="Text column to clean",
                description="The column of text to clean."),
        *[Bool(name, default=True, label=label, description=help_text)
          for name, label, help_text in SWITCHES],
        Str("custom_regular_expression", default="", optional=True,
            description="A Python regular expression replaced first, before every other step."),
        Str("custom_replacement_string", default="", optional=True,
            description="What each match of the custom regular expression becomes."),
    ],
)
def preprocess_text(dataset, stop_words=None, *, language, text_column, remove_stop_words,
                    use_lemmatization, detect_sentences, normalize_case_to_lowercase,
                    remove_numbers, remove_special_characters, remove_duplicate_characters,
                    remove_email_addresses, remove_urls, expand_verb_contractions,
                    normalize_backslashes_to_slashes, split_tokens_on_special_characters,
                    custom_regular_expression, custom_replacement_string):
    """Clean a text column and append it as "Preprocessed <column>".

    The steps run in this order, each when its switch is on: the custom regular expression;
    URLs and email addresses removed; backslashes to slashes; contractions expanded; lowercase;
    duplicate characters shortened; sentences marked with '|||'; tokens split on special
    characters; numbers removed; special characters removed; then, word by word (words are
    separated by white space), stop words dropped and lemmas taken. Missing text gives "".
    Azure's part-of-speech filters are not offered.
    """
    require_columns(dataset, [text_column], LABEL)
    column = dataset[text_column]
    if not is_text(column) and not isinstance(column.dtype, pd.CategoricalDtype):
        raise ModuleError(f"{LABEL}: column {text_column!r} holds {column.dtype} values, not "
                          "text; choose a text column")
    if custom_regular_expression:
        try:
            re.compile(custom_regular_expression)
        except re.error as exc:
            raise ModuleError(f"{LABEL}: the custom regular expression "
                              f"{custom_regular_expression!r} is invalid: {exc}") from None
    name = output_name(text_column)
    if name in dataset.columns:
        raise ModuleError(f"{LABEL}: the data set already has a column {name!r}")
    options = dict(
        remove_stop_words=remove_stop_words, use_lemmatization=use_lemmatization,
        detect_sentences=detect_sentences,
        normalize_case_to_lowercase=normalize_case_to_lowercase, remove_numbers=remove_numbers,
        remove_special_characters=remove_special_characters,
        remove_duplicate_characters=remove_duplicate_characters,
        remove_email_addresses=remove_email_addresses, remove_urls=remove_urls,
        expand_verb_contractions=expand_verb_contractions,
        normalize_backslashes_to_slashes=normalize_backslashes_to_slashes,
        split_tokens_on_special_characters=split_tokens_on_special_characters,
        custom_regular_expression=custom_regular_expression,
        custom_replacement_string=custom_replacement_string)
    words = stop_word_list(stop_words) if remove_stop_words else None
    cleaned = [preprocess(text, options, words) for text in column.astype(object)]
    out = dataset.copy()
    out[name] = pd.Series(cleaned, index=dataset.index, dtype="str")
    return {"results_dataset": out}
