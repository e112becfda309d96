"""K-Means Clustering, Train Clustering Model, Assign Data to Clusters and their evaluation:
equal to scikit-learn's MinMaxScaler and KMeans, and to pandas, written by hand on the same
data and seed."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.preprocessing import MinMaxScaler

from app.engine.context import ModuleError
from tests.modules.test_evaluation import evaluate, run

MEASURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
DISTANCES = ["DistancesToClusterCenter no.0", "DistancesToClusterCenter no.1",
             "DistancesToClusterCenter no.2"]


@pytest.fixture(scope="module")
def iris():
    """Iris with a text species column, shuffled: 110 rows to train, 40 new ones."""
    data = load_iris(as_frame=True)
    frame = data.frame.assign(species=data.frame["target"].map(dict(enumerate(data.target_names)))
                              .astype("str")).drop(columns="target")
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return frame.iloc[:110].reset_index(drop=True), frame.iloc[110:].reset_index(drop=True)


def clustered(train, column_set=MEASURES, append=True, **kmeans):
    untrained = run("k_means_clustering", {}, kmeans)["untrained_model"]
    return run("train_clustering_model", {"untrained_model": untrained, "dataset": train},
               {"column_set": column_set, "append": append})


@pytest.mark.parametrize(("initialization", "starts"), [
    ("k_means_plus_plus", {"init": "k-means++", "n_init": 1}),
    ("random", {"init": "random", "n_init": 10}),
    ("first_n", None),
])
def test_train_clustering_model_is_minmax_then_kmeans(iris, initialization, starts):
    train, new = iris
    out = clustered(train, number_of_centroids=3, initialization=initialization, seed=5,
                    iterations=50)
    scaler = MinMaxScaler().fit(train[MEASURES])
    scaled = scaler.transform(train[MEASURES])
    starts = starts or {"init": scaled[:3], "n_init": 1}
    hand = KMeans(n_clusters=3, max_iter=50, random_state=5, **starts).fit(scaled)

    results = out["results_dataset"]
    assert list(results.columns) == [*train.columns, "Assignments", *DISTANCES]
    pd.testing.assert_frame_equal(results[list(train.columns)], train)
    assert list(results["Assignments"]) == list(hand.predict(scaled))
    np.testing.assert_allclose(results[DISTANCES], hand.transform(scaled), rtol=1e-12)
    assert results.attrs == {"task": "clustering", "label_column": None, "clusters": 3}

    assigned = run("assign_data_to_clusters", {"trained_model": out["trained_model"],
                                               "dataset": new}, {"append": False})
    result = assigned["results_dataset"]
    assert list(result.columns) == ["Assignments", *DISTANCES]
    assert list(result["Assignments"]) == list(hand.predict(scaler.transform(new[MEASURES])))
    np.testing.assert_allclose(result[DISTANCES], hand.transform(scaler.transform(new[MEASURES])),
                               rtol=1e-12)


def test_without_normalizing_and_with_a_text_column_one_hot_encoded(iris):
    train, _ = iris
    columns = ["species", "petal length (cm)"]
    out = clustered(train, column_set=columns, append=False, number_of_centroids=4,
                    normalize_features=False, seed=2)
    features = pd.concat([pd.get_dummies(train["species"]).astype(float),
                          train[["petal length (cm)"]]], axis=1).to_numpy()
    hand = KMeans(n_clusters=4, init="k-means++", n_init=1, max_iter=100,
                  random_state=2).fit(features)
    results = out["results_dataset"]
    assert list(results["Assignments"]) == list(hand.labels_)
    np.testing.assert_allclose(results.iloc[:, 1:], hand.transform(features), rtol=1e-12)


def test_rows_with_a_missing_number_are_left_out_and_left_unassigned(iris):
    train, _ = iris
    gappy = train.copy()
    gappy.loc[[3, 7], "sepal width (cm)"] = np.nan
    results = clustered(gappy, number_of_centroids=3, seed=1)["results_dataset"]
    complete = gappy.drop(index=[3, 7])
    scaled = MinMaxScaler().fit_transform(complete[MEASURES])
    hand = KMeans(n_clusters=3, n_init=1, random_state=1).fit(scaled)
    assert results["Assignments"].isna().tolist() == [i in (3, 7) for i in range(len(train))]
    assert list(results["Assignments"].dropna()) == list(hand.labels_)
    assert results.loc[[3, 7], DISTANCES].isna().all().all()


def test_k_means_defaults_are_azures():
    learner = run("k_means_clustering", {})["untrained_model"]
    assert learner.get_params() == {"centroids": 2, "initialization": "k_means_plus_plus",
                                    "seed": 0, "iterations": 100, "normalize_features": True}


def test_evaluation_gives_azures_per_cluster_and_combined_figures(iris):
    train, _ = iris
    results = clustered(train, number_of_centroids=3, seed=5)["results_dataset"]
    got = evaluate(results)
    distances = results[DISTANCES].to_numpy()
    assigned = results["Assignments"].to_numpy(dtype=int)
    rows = pd.DataFrame({"cluster": assigned,
                         "own": [d[a] for d, a in zip(distances, assigned, strict=True)],
                         "other": [min(np.delete(d, a)) for d, a in
                                   zip(distances, assigned, strict=True)]})
    by_cluster = rows.groupby("cluster")
    assert got["task"] == "clustering"
    assert got["clusters"]["labels"] == [0, 1, 2]
    assert got["clusters"]["number_of_points"] == list(by_cluster.size())
    assert got["clusters"]["average_distance_to_cluster_center"] == pytest.approx(
        list(by_cluster["own"].mean()))
    assert got["clusters"]["average_distance_to_other_center"] == pytest.approx(
        list(by_cluster["other"].mean()))
    assert got["clusters"]["maximal_distance_to_cluster_center"] == pytest.approx(
        list(by_cluster["own"].max()))
    assert got["metrics"] == pytest.approx({
        "average_distance_to_cluster_center": rows["own"].mean(),
        "average_distance_to_other_center": rows["other"].mean(),
        "number_of_points": len(rows),
        "maximal_distance_to_cluster_center": rows["own"].max()})


def test_each_model_meets_the_module_that_trains_or_scores_it(iris):
    train, new = iris
    kmeans = run("k_means_clustering", {})["untrained_model"]
    with pytest.raises(ModuleError, match="Train it with Train Clustering Model"):
        run("train_model", {"untrained_model": kmeans, "dataset": train},
            {"label_column": "species"})
    forest = run("two_class_decision_forest", {})["untrained_model"]
    with pytest.raises(ModuleError, match="needs an untrained clustering model such as K-Means"):
        run("train_clustering_model", {"untrained_model": forest, "dataset": train})
    model = clustered(train)["trained_model"]
    with pytest.raises(ModuleError, match="use Assign Data to Clusters for this one"):
        run("score_model", {"trained_model": model, "dataset": new})
    with pytest.raises(ModuleError, match=r"lacks column\(s\) the clustering model was trained "
                                          r"on: petal width \(cm\)"):
        run("assign_data_to_clusters", {"trained_model": model,
                                        "dataset": new.drop(columns="petal width (cm)")})
    with pytest.raises(ModuleError, match="'weight' of 'column_set' are not in the data set"):
        clustered(train, column_set=["weight"])
    with pytest.raises(ModuleError, match="5 centroids need at least 5 rows"):
        clustered(train.head(4), number_of_centroids=5)
