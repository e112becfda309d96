"""Generate the shipped sample data sets: synthetic census income (US / non-US), diabetes and
iris."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

SEED = 1996
US_ROWS = 3000
NON_US_ROWS = 1000
# Piecewise-linear inverse CDF of age, shaped like the census sample (17 to 90, median 37).
AGE_QUANTILES = [0, .02, .05, .1, .2, .3, .4, .5, .6, .7, .8, .9, .95, .98, .995, 1]
AGE_KNOTS = [17, 18, 19, 22, 26, 30, 33, 37, 41, 45, 50, 58, 63, 69, 78, 91]
MISSING_RATES = {"workclass": 0.056, "occupation": 0.057, "native-country": 0.018}

COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]

# education -> (education-num, share among US adults in the census sample)
EDUCATION = {
    "Preschool": (1, 0.0016), "1st-4th": (2, 0.0052), "5th-6th": (3, 0.0102),
    "7th-8th": (4, 0.0198), "9th": (5, 0.0158), "10th": (6, 0.0287), "11th": (7, 0.0361),
    "12th": (8, 0.0133), "HS-grad": (9, 0.3225), "Some-college": (10, 0.2239),
    "Assoc-voc": (11, 0.0424), "Assoc-acdm": (12, 0.0328), "Bachelors": (13, 0.1645),
    "Masters": (14, 0.0529), "Prof-school": (15, 0.0177), "Doctorate": (16, 0.0127),
}
WORKCLASS = {
    "Private": 0.739, "Self-emp-not-inc": 0.083, "Local-gov": 0.068, "State-gov": 0.042,
    "Self-emp-inc": 0.036, "Federal-gov": 0.031, "Without-pay": 0.0005, "Never-worked": 0.0003,
}
MARITAL = [
    "Married-civ-spouse", "Never-married", "Divorced", "Separated", "Widowed",
    "Married-spouse-absent", "Married-AF-spouse",
]
# occupation -> (base share, log-odds per year of education above 10, factor for women)
OCCUPATION = {
    "Prof-specialty": (0.11, 0.45, 1.3), "Craft-repair": (0.18, -0.15, 0.12),
    "Exec-managerial": (0.132, 0.25, 0.9), "Adm-clerical": (0.11, 0.0, 3.0),
    "Sales": (0.125, 0.05, 1.0), "Other-service": (0.08, -0.25, 2.2),
    "Machine-op-inspct": (0.065, -0.25, 0.8), "Transport-moving": (0.07, -0.2, 0.15),
    "Handlers-cleaners": (0.045, -0.3, 0.35), "Farming-fishing": (0.032, -0.3, 0.25),
    "Tech-support": (0.030, 0.15, 1.2), "Protective-serv": (0.021, 0.0, 0.4),
    "Priv-house-serv": (0.003, -0.4, 6.0), "Armed-Forces": (0.0004, 0.0, 0.3),
}
RACE_US = {
    "White": 0.87, "Black": 0.105, "Asian-Pac-Islander": 0.01,
    "Amer-Indian-Eskimo": 0.01, "Other": 0.005,
}
# country -> (weight, education shift in years, main race)
COUNTRIES = {
    "Mexico": (0.23, -3.5, "White"), "Philippines": (0.07, 1.0, "Asian-Pac-Islander"),
    "Germany": (0.05, 0.5, "White"), "Canada": (0.045, 0.5, "White"),
    "Puerto-Rico": (0.04, -1.5, "White"), "El-Salvador": (0.04, -3.0, "White"),
    "India": (0.035, 2.5, "Asian-Pac-Islander"), "Cuba": (0.035, -0.5, "White"),
    "England": (0.03, 0.5, "White"), "Jamaica": (0.03, -0.5, "Black"),
    "South": (0.03, 0.5, "Asian-Pac-Islander"), "China": (0.028, 1.5, "Asian-Pac-Islander"),
    "Italy": (0.026, -0.5, "White"), "Dominican-Republic": (0.025, -2.0, "White"),
    "Vietnam": (0.024, -0.5, "Asian-Pac-Islander"), "Guatemala": (0.023, -3.0, "White"),
    "Japan": (0.022, 1.0, "Asian-Pac-Islander"), "Poland": (0.021, 0.0, "White"),
    "Columbia": (0.021, -0.5, "White"), "Taiwan": (0.018, 2.5, "Asian-Pac-Islander"),
    "Haiti": (0.016, -1.5, "Black"), "Iran": (0.015, 2.0, "White"),
    "Portugal": (0.013, -2.5, "White"), "Nicaragua": (0.012, -1.0, "White"),
    "Peru": (0.011, -0.5, "White"), "Greece": (0.011, 0.0, "White"),
    "France": (0.01, 1.5, "White"), "Ecuador": (0.01, -1.0, "White"),
    "Ireland": (0.009, 0.5, "White"), "Hong": (0.007, 1.5, "Asian-Pac-Islander"),
    "Trinadad&Tobago": (0.007, -0.5, "Black"), "Cambodia": (0.007, -1.5, "Asian-Pac-Islander"),
    "Laos": (0.006, -1.5, "Asian-Pac-Islander"), "Thailand": (0.006, 0.0, "Asian-Pac-Islander"),
    "Yugoslavia": (0.006, 0.0, "White"), "Outlying-US(Guam-USVI-etc)": (0.005, -0.5, "Other"),
    "Hungary": (0.005, 0.5, "White"), "Honduras": (0.005, -2.0, "White"),
    "Scotland": (0.004, 0.5, "White"),
}
# Income model: the non-US relationship differs on purpose, so retraining on it shows.
US_MODEL = {
    "intercept": -3.08, "education": 0.5, "age": 0.05, "age2": -0.0025, "hours": 0.045,
    "married": 2.4, "male": 0.3, "gain_large": 5.0, "gain_small": -0.5, "loss": 1.2,
    "occupation": 1.3, "noise": 0.3,
}
NON_US_MODEL = {
    "intercept": -3.2, "education": 0.55, "age": 0.035, "age2": -0.0018, "hours": 0.005,
    "married": 1.8, "male": 0.45, "gain_large": 5.0, "gain_small": 0.0, "loss": 1.2,
    "occupation": 1.0, "noise": 0.3,
}
OCCUPATION_EFFECT = {
    "Exec-managerial": 0.8, "Prof-specialty": 0.6, "Tech-support": 0.4, "Protective-serv": 0.4,
    "Sales": 0.2, "Craft-repair": 0.0, "Adm-clerical": -0.2, "Transport-moving": -0.1,
    "Machine-op-inspct": -0.4, "Farming-fishing": -0.9, "Handlers-cleaners": -0.8,
    "Other-service": -1.1, "Priv-house-serv": -2.0, "Armed-Forces": 0.0,
}


def _pick(u: np.ndarray, values: list[str], weights: np.ndarray) -> np.ndarray:
    """Draw one of values per row from uniforms u and row weights (n, k) or shared weights (k,)."""
    w = np.broadcast_to(np.asarray(weights, dtype=float), (len(u), len(values)))
    cum = np.cumsum(w, axis=1)
    cum /= cum[:, -1:]
    idx = np.minimum((u[:, None] > cum).sum(axis=1), len(values) - 1)
    return np.asarray(values, dtype=object)[idx]


def _people(rng: np.random.Generator, n: int, edu_shift: np.ndarray) -> pd.DataFrame:
    """Draw demographic and work features; only uniform and normal draws, for stable streams."""
    u = partial(rng.random, n)
    z = partial(rng.standard_normal, n)

    sex = np.where(u() < 0.67, "Male", "Female")
    female = sex == "Female"
    age = np.minimum(np.floor(np.interp(u(), AGE_QUANTILES, AGE_KNOTS)), 90).astype(int)

    names = list(EDUCATION)
    num = np.array([EDUCATION[e][0] for e in names])
    share = np.array([EDUCATION[e][1] for e in names])
    # Country shifts tilt the education ladder; teenagers cannot hold a degree yet.
    w = share * np.exp(edu_shift[:, None] * (num - 10) / 8.0)
    w = w * np.where(age[:, None] <= 18, num <= 10, 1.0)
    w = w * np.where((age[:, None] > 18) & (age[:, None] <= 21), np.where(num > 12, 0.05, 1), 1)
    education = _pick(u(), names, w)
    education_num = np.array([EDUCATION[e][0] for e in education])

    years = age - 17.0
    married_w = (1 - np.exp(-years / 9.0)) * np.where(female, 0.22, 1.15)
    never_w = 4.0 * np.exp(-years / 6.0) + 0.08
    divorced_w = np.where(age > 20, 0.28 * (1 - np.exp(-(age - 20) / 15.0)), 0.0)
    divorced_w = divorced_w * np.where(female, 1.5, 1.0)
    separated_w = np.full(n, 0.05) * np.where(female, 1.5, 1.0)
    widowed_w = np.minimum(0.006 * np.exp((age - 40) / 9.0), 1.5) * np.where(female, 3.0, 0.4)
    absent_w = np.full(n, 0.02)
    af_w = np.full(n, 0.0012)
    marital = _pick(u(), MARITAL, np.column_stack(
        [married_w, never_w, divorced_w, separated_w, widowed_w, absent_w, af_w]))

    rel = np.empty(n, dtype=object)
    spouse = np.isin(marital, ["Married-civ-spouse", "Married-AF-spouse"])
    rel[spouse] = np.where(female[spouse], "Wife", "Husband")
    ru = u()
    rel[spouse & (ru < 0.01)] = "Other-relative"
    child_p = np.clip(0.9 - (age - 18) * 0.045, 0.03, 0.9)
    alone_w = np.column_stack([np.full(n, 0.7), np.where(female, 0.35, 0.12), np.full(n, 0.06)])
    alone = _pick(u(), ["Not-in-family", "Unmarried", "Other-relative"], alone_w)
    never = marital == "Never-married"
    rel[never] = np.where(ru[never] < child_p[never], "Own-child", alone[never])
    other = ~spouse & ~never
    rel[other] = np.where(ru[other] < 0.04, "Own-child", alone[other])

    wnames = list(WORKCLASS)
    ww = np.array(list(WORKCLASS.values()))
    self_emp = np.isin(wnames, ["Self-emp-not-inc", "Self-emp-inc"])
    wmat = ww * np.where(self_emp, 1 + np.clip(age[:, None] - 30, 0, 40) / 60.0, 1.0)
    workclass = _pick(u(), wnames, wmat)
    # Students and retirees are the ones who leave work questions blank.
    missing_p = 0.037 + 0.10 * (age < 21) + 0.16 * (age >= 65)
    no_work = u() < missing_p
    workclass[no_work] = None

    onames = list(OCCUPATION)
    base = np.array([OCCUPATION[o][0] for o in onames])
    slope = np.array([OCCUPATION[o][1] for o in onames])
    fem = np.array([OCCUPATION[o][2] for o in onames])
    omat = base * np.exp(slope * (education_num[:, None] - 10)) * np.where(female[:, None], fem, 1)
    occupation = _pick(u(), onames, omat)
    occupation[no_work | (workclass == "Never-worked")] = None

    hz = z()
    hours = 40 + 15 * hz - 12 * (age < 22) - 4 * female - 10 * (age >= 65)
    hours = hours + 6 * np.isin(workclass, ["Self-emp-not-inc", "Self-emp-inc"])
    spike_p = np.where((age < 22) | (age >= 65), 0.25, 0.5)
    hours = np.where(u() < spike_p, 40, hours)
    hours = np.clip(np.rint(hours), 1, 99).astype(int)

    fnlwgt = np.clip(np.rint(np.exp(np.log(178_000) + 0.55 * z())), 12_285, 1_484_705).astype(int)

    gain_logit = -2.9 + 0.25 * (education_num - 10) + 0.02 * (age - 40) + 0.6 * spouse
    has_gain = u() < 1 / (1 + np.exp(-gain_logit))
    large = u() < 0.45
    gain = np.where(large, np.exp(np.log(12_000) + 0.45 * z()), np.exp(np.log(2_800) + 0.6 * z()))
    gain = np.where(large, np.clip(gain, 7_000, 41_310), np.clip(gain, 114, 6_900))
    gain = np.where(large & (u() < 0.08), 99_999, gain)
    gain = np.where(has_gain, np.rint(gain), 0).astype(int)
    loss = np.clip(np.rint(1_870 + 370 * z()), 155, 4_356).astype(int)
    loss = np.where(~has_gain & (u() < 0.05), loss, 0)

    return pd.DataFrame({
        "age": age, "workclass": workclass, "fnlwgt": fnlwgt, "education": education,
        "education-num": education_num, "marital-status": marital, "occupation": occupation,
        "relationship": rel, "sex": sex, "capital-gain": gain, "capital-loss": loss,
        "hours-per-week": hours,
    })


def _income(rng: np.random.Generator, df: pd.DataFrame, model: dict) -> np.ndarray:
    """Draw the income label from a logistic model of the features."""
    age = df["age"].to_numpy() - 40.0
    gain = df["capital-gain"].to_numpy()
    occ = df["occupation"].map(OCCUPATION_EFFECT).fillna(-0.3).to_numpy(dtype=float)
    logit = (
        model["intercept"]
        + model["education"] * (df["education-num"].to_numpy() - 10)
        + model["age"] * age + model["age2"] * age**2
        + model["hours"] * (df["hours-per-week"].to_numpy() - 40)
        + model["married"] * df["relationship"].isin(["Husband", "Wife"]).to_numpy()
        + model["male"] * (df["sex"].to_numpy() == "Male")
        + model["gain_large"] * (gain >= 7_000)
        + model["gain_small"] * ((gain > 0) & (gain < 7_000))
        + model["loss"] * (df["capital-loss"].to_numpy() > 0)
        + model["occupation"] * occ
        + model["noise"] * rng.standard_normal(len(df))
    )
    positive = rng.random(len(df)) < 1 / (1 + np.exp(-logit))
    return np.where(positive, ">50K", "<=50K")


def make_income(rng: np.random.Generator, n: int, us: bool) -> pd.DataFrame:
    """Build one synthetic census income table: US residents or other countries."""
    if us:
        country = np.full(n, "United-States", dtype=object)
        shift = np.zeros(n)
        race = _pick(rng.random(n), list(RACE_US), np.array(list(RACE_US.values())))
    else:
        names = list(COUNTRIES)
        country = _pick(rng.random(n), names, np.array([COUNTRIES[c][0] for c in names]))
        shift = np.array([COUNTRIES[c][1] for c in country])
        main = np.array([COUNTRIES[c][2] for c in country], dtype=object)
        race = _pick(rng.random(n), list(RACE_US), np.array(list(RACE_US.values())))
        race = np.where(rng.random(n) < 0.85, main, race)
    df = _people(rng, n, shift)
    df.insert(8, "race", race)
    df["native-country"] = np.where(
        rng.random(n) < MISSING_RATES["native-country"], None, country)
    df["income"] = _income(rng, df, US_MODEL if us else NON_US_MODEL)
    return df[COLUMNS]


def make_diabetes() -> pd.DataFrame:
    """Return scikit-learn's bundled diabetes data, unscaled, with whole-number columns as int."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    for col in frame.columns:
        if (frame[col] == frame[col].round()).all():
            frame[col] = frame[col].astype(int)
    return frame


# Automobile: the UCI "1985 Auto Imports" layout; make -> (weight, price factor, size shift).
AUTOMOBILE_COLUMNS = [
    "symboling", "normalized-losses", "make", "fuel-type", "aspiration", "num-of-doors",
    "body-style", "drive-wheels", "engine-location", "wheel-base", "length", "width", "height",
    "curb-weight", "engine-type", "num-of-cylinders", "engine-size", "fuel-system", "bore",
    "stroke", "compression-ratio", "horsepower", "peak-rpm", "city-mpg", "highway-mpg", "price",
]
AUTOMOBILE_ROWS = 200
MAKES = {
    "toyota": (32, 1.0, -0.3), "nissan": (18, 1.0, -0.2), "mazda": (17, 1.0, -0.2),
    "mitsubishi": (13, 1.0, -0.2), "honda": (13, 1.0, -0.5), "volkswagen": (12, 1.05, -0.3),
    "subaru": (12, 1.0, -0.3), "peugot": (11, 1.15, 0.6), "volvo": (11, 1.2, 0.7),
    "dodge": (9, 0.95, -0.3), "mercedes-benz": (8, 2.0, 1.5), "bmw": (8, 1.7, 0.6),
    "audi": (7, 1.4, 0.4), "plymouth": (7, 0.95, -0.3), "saab": (6, 1.3, 0.2),
    "porsche": (5, 2.4, 0.3), "isuzu": (4, 0.95, -0.4), "jaguar": (3, 2.3, 1.6),
    "chevrolet": (3, 0.9, -0.8), "alfa-romero": (3, 1.3, 0.0), "renault": (2, 1.0, -0.2),
    "mercury": (1, 1.3, 0.5),
}
BODY_STYLES = {"sedan": 96, "hatchback": 70, "wagon": 25, "hardtop": 8, "convertible": 6}
CYLINDERS = ["three", "four", "five", "six", "eight"]
AUTOMOBILE_MISSING = {"normalized-losses": 0.2, "num-of-doors": 0.01, "bore": 0.02,
                      "stroke": 0.02, "horsepower": 0.01, "peak-rpm": 0.01, "price": 0.02}


def make_automobile(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Synthetic cars shaped like UCI imports-85: a size factor drives dimensions, engine and
    price; the price also follows the make, the horsepower and the engine size."""
    u = partial(rng.random, n)
    z = partial(rng.standard_normal, n)
    names = list(MAKES)
    make = _pick(u(), names, np.array([MAKES[m][0] for m in names], dtype=float))
    factor = np.array([MAKES[m][1] for m in make])
    size = np.array([MAKES[m][2] for m in make]) + 0.8 * z()
    body = _pick(u(), list(BODY_STYLES), np.array(list(BODY_STYLES.values()), dtype=float))
    diesel = u() < 0.1
    turbo = diesel & (u() < 0.6) | (u() < 0.1)
    doors = np.where(np.isin(body, ["sedan", "wagon"]) & (u() < 0.9), "four", "two")
    doors = np.where((body == "hatchback") & (u() < 0.3), "four", doors)
    drive = _pick(u(), ["fwd", "rwd", "4wd"],
                  np.column_stack([np.exp(-size), np.exp(size - 0.3), np.full(n, 0.08)]))
    rear = (make == "porsche") & (u() < 0.5)
    wheel_base = np.round(98.5 + 5.5 * size + 1.5 * z(), 1)
    length = np.round(173 + 11 * size + 4 * z(), 1)
    width = np.round(65.8 + 1.8 * size + 0.6 * z(), 1)
    height = np.round(53.8 + 1.2 * size + 1.6 * z() + 2.5 * (body == "wagon")
                      - 2.5 * (body == "convertible"), 1)
    engine = np.clip(np.rint(125 + 38 * size + 15 * z() + 30 * (make == "porsche")), 61, 326)
    cyl = np.clip(np.digitize(engine, [70, 150, 165, 230]), 0, 4)
    curb = np.rint(2550 + 480 * size + 150 * z() + 120 * diesel).astype(int)
    power = np.rint(np.clip(0.75 * engine + 20 * turbo - 30 * diesel + 12 * z(), 48, 288))
    rpm = np.rint((5150 - 600 * diesel + 350 * z()) / 50) * 50
    city = np.rint(np.clip(44 - 0.09 * power - 0.003 * curb + 6 * diesel + 2 * z() + 8, 13, 49))
    highway = np.rint(city + 5.5 + 1.2 * z())
    price = (-14_000 + 5.0 * curb + 60 * engine + 45 * power) * factor + 1_400 * z()
    price = np.rint(np.clip(price, 5_118, 45_400))
    frame = pd.DataFrame({
        "symboling": np.clip(np.rint(0.8 - 1.2 * size + 1.1 * z() + 0.8 * (doors == "two")),
                             -2, 3).astype(int),
        "normalized-losses": np.clip(np.rint(122 + 30 * z() - 8 * size), 65, 256).astype(int),
        "make": make, "fuel-type": np.where(diesel, "diesel", "gas"),
        "aspiration": np.where(turbo, "turbo", "std"), "num-of-doors": doors,
        "body-style": body, "drive-wheels": drive,
        "engine-location": np.where(rear, "rear", "front"), "wheel-base": wheel_base,
        "length": length, "width": width, "height": height, "curb-weight": curb,
        "engine-type": _pick(u(), ["ohc", "ohcf", "ohcv", "dohc", "l"],
                             np.array([0.72, 0.07, 0.07, 0.06, 0.08])),
        "num-of-cylinders": np.asarray(CYLINDERS, dtype=object)[cyl],
        "engine-size": engine.astype(int),
        "fuel-system": np.where(diesel, "idi", _pick(u(), ["mpfi", "2bbl", "1bbl", "spdi"],
                                                     np.array([0.48, 0.36, 0.06, 0.10]))),
        "bore": np.round(np.clip(3.33 + 0.2 * size + 0.15 * z(), 2.54, 3.94), 2),
        "stroke": np.round(np.clip(3.26 + 0.3 * z(), 2.07, 4.17), 2),
        "compression-ratio": np.round(np.where(diesel, 21.5 + 0.8 * z(), 9.0 + 0.6 * z()), 1),
        "horsepower": power, "peak-rpm": rpm, "city-mpg": city.astype(int),
        "highway-mpg": highway.astype(int), "price": price,
    })
    for column, rate in AUTOMOBILE_MISSING.items():
        frame[column] = frame[column].where(u() >= rate)
    for column in ("normalized-losses", "horsepower", "peak-rpm", "price"):
        frame[column] = frame[column].astype("Int64")
    return frame[AUTOMOBILE_COLUMNS]


def make_iris() -> pd.DataFrame:
    """Return scikit-learn's bundled iris data with short column names and the species named."""
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.removesuffix(" (cm)").replace(" ", "_"))
    species = frame.pop("target").map(dict(enumerate(data.target_names)))
    return frame.assign(species=species)


def _write(df: pd.DataFrame, path: Path) -> None:
    """Write a CSV with a header, no index, Unix line endings and empty cells for missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")
    log.info("wrote %s (%d rows)", path, len(df))


def generate(out_dir: Path) -> None:
    """Write income/us.csv, income/non_us.csv, diabetes/diabetes.csv,
    automobile/automobile.csv and iris/iris.csv under out_dir."""
    out_dir = Path(out_dir)
    # Separate streams per file, so tuning one file never changes the other.
    _write(make_income(np.random.default_rng([SEED, 0]), US_ROWS, us=True),
           out_dir / "income" / "us.csv")
    _write(make_income(np.random.default_rng([SEED, 1]), NON_US_ROWS, us=False),
           out_dir / "income" / "non_us.csv")
    _write(make_diabetes(), out_dir / "diabetes" / "diabetes.csv")
    _write(make_automobile(np.random.default_rng([SEED, 2]), AUTOMOBILE_ROWS),
           out_dir / "automobile" / "automobile.csv")
    _write(make_iris(), out_dir / "iris" / "iris.csv")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate(Path(__file__).resolve().parent)
