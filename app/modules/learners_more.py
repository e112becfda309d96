"""Machine Learning Algorithms, continued: linear online learners, neural networks, Poisson.

Same contract as learners.py: each module outputs an unfitted scikit-learn estimator that
Train Model clones and fits behind its categorical encoder. Where Azure scales the features
first (the SVM's "Normalize features", the networks' normalizer) the estimator is a small
Pipeline whose last step is the learner, so Train Model and Score Model treat it alike.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, PoissonRegressor, SGDClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler

from app.engine.context import ModuleError
from app.engine.registry import module
from app.engine.spec import Bool, Choice, Float, Int

from .learners import (
    BOOSTING_RANGES,
    CATEGORY,
    FOREST_RANGES,
    LOGISTIC_RANGES,
    MAX_ITERATIONS,
    MAX_WEIGHT,
    OUTPUTS,
    _boosted,
    _boosting_params,
    _forest,
    _forest_params,
    _l2_weight,
    _logistic,
    _logistic_params,
    _optimization_tolerance,
    _seed,
)
from .sweep import sweepable, sweeps
from .training import MulticlassLearner, unfitted

MAX_HIDDEN_NODES = 10_000
# Poisson Regression has no iteration setting in Azure: L-BFGS runs until the tolerance.
POISSON_MAX_ITERATIONS = 10_000
NORMALIZERS = ("min_max", "gaussian", "none")
# Azure's default values of each field in Parameter Range mode (see sweep.py).
NETWORK_RANGES = {"learning_rate": "0.01; 0.02; 0.04", "learning_iterations": "20; 40; 80; 160"}
POISSON_RANGES = {"optimization_tolerance": "0.00001; 0.00000001", "l2_weight": "0.01; 0.1; 1.0"}


class LinearScoreClassifier(SGDClassifier):
    """SGDClassifier whose probability is the logistic function of its linear score.

    A perceptron or hinge-loss SVM has a score, not a probability; Azure still reports
    "Scored Probabilities". sigmoid(score) >= 0.5 exactly where the score is >= 0, so the
    labels Score Model derives at 0.5 are the classifier's own predictions.
    """

    def predict_proba(self, X):
        """Columns [P(classes_[0]), P(classes_[1])] from the decision function."""
        positive = special.expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])


class PoissonCountRegressor(RegressorMixin, BaseEstimator):
    """Poisson regression minimising ``sum(negative log-likelihood) + l2 / 2 * |w|^2``.

    scikit-learn's PoissonRegressor minimises the mean deviance ``+ alpha / 2 * |w|^2``,
    i.e. the same objective divided by the row count n, when ``alpha = l2 / n``; n is only
    known at fit time, hence this wrapper.
    """

    def __init__(self, l2_weight=1.0, optimization_tolerance=1e-7):
        self.l2_weight = l2_weight
        self.optimization_tolerance = optimization_tolerance

    def fit(self, X, y):
        """Refuse negative counts by name, then fit PoissonRegressor with alpha = l2 / n."""
        y = np.asarray(y, dtype="float64")
        if (y < 0).any():
            raise ModuleError(
                f"Poisson Regression needs a label of counts (0 or more); the label has "
                f"{int((y < 0).sum())} negative value(s)."
            )
        self.model_ = PoissonRegressor(
            alpha=self.l2_weight / len(y), tol=self.optimization_tolerance,
            max_iter=POISSON_MAX_ITERATIONS,
        ).fit(X, y)
        self.n_features_in_ = self.model_.n_features_in_
        return self

    def predict(self, X):
        """The predicted mean count of each row."""
        return self.model_.predict(X)


def _iterations(name: str, default: int, label: str) -> Int:
    return Int(name, default=default, min=1, max=MAX_ITERATIONS, label=label,
               description="Passes over the training rows.")


def _network_params(learning_rate: float) -> list:
    """Azure's neural network fields (fully-connected case), shared by both networks."""
    return sweepable([
        Int("hidden_nodes", default=100, min=1, max=MAX_HIDDEN_NODES,
            label="Number of hidden nodes",
            description="Nodes of the single hidden layer; more fit finer patterns, slower."),
        Float("learning_rate", default=learning_rate, min=1e-6, max=2.0, label="The learning rate",
              description="Step size of each weight update."),
        _iterations("learning_iterations", 100, "Number of learning iterations"),
        Float("momentum", default=0.0, min=0.0, max=0.99, label="The momentum",
              description="Share of the previous update added to the next; 0 turns it off."),
        Choice("normalizer", default="min_max", options=list(NORMALIZERS),
               option_labels={"min_max": "Min-Max normalizer",
                              "gaussian": "Gaussian normalizer",
                              "none": "Do not normalize"},
               label="The type of normalizer",
               description="How features are rescaled before training: to [0, 1] (Min-Max) "
                           "or to mean 0 and variance 1 (Gaussian)."),
        Bool("shuffle", default=True, label="Shuffle examples",
             description="Shuffle the rows between iterations."),
        _seed(),
    ], NETWORK_RANGES)


def _network(network_class, hidden_nodes, learning_rate, learning_iterations, momentum,
             normalizer, shuffle, seed):
    """One hidden layer of sigmoid units trained by plain stochastic gradient descent."""
    network = network_class(
        hidden_layer_sizes=(hidden_nodes,),
        activation="logistic",
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=learning_rate,
        momentum=momentum,
        nesterovs_momentum=False,
        max_iter=learning_iterations,
        shuffle=shuffle,
        random_state=seed,
    )
    if normalizer == "none":
        return {"untrained_model": network}
    scaler = MinMaxScaler() if normalizer == "min_max" else StandardScaler()
    return {"untrained_model": make_pipeline(scaler, network)}


@module(
    "two_class_averaged_perceptron",
    label="Two-Class Averaged Perceptron",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=[
        Float("learning_rate", default=1.0, min=1e-6, max=MAX_WEIGHT, label="Learning rate",
              description="Step size of each perceptron update."),
        _iterations("max_iterations", 10, "Maximum number of iterations"),
        _seed(),
    ],
    columns=unfitted("two_class_averaged_perceptron"),
)
def two_class_averaged_perceptron(*, learning_rate, max_iterations, seed):
    """Averaged perceptron for a two-valued label (SGDClassifier, perceptron loss, averaged)."""
    estimator = LinearScoreClassifier(
        loss="perceptron", penalty=None, learning_rate="constant", eta0=learning_rate,
        average=True, max_iter=max_iterations, tol=None, random_state=seed,
    )
    return {"untrained_model": estimator}


@module(
    "two_class_support_vector_machine",
    label="Two-Class Support Vector Machine",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=[
        _iterations("number_of_iterations", 1, "Number of iterations"),
        Float("lambda_weight", default=0.001, min=1e-9, max=MAX_WEIGHT, label="Lambda",
              description="L2 regularization weight; larger values make a simpler model."),
        Bool("normalize_features", default=True, label="Normalize features",
             description="Rescale each feature to [0, 1] before training."),
        Bool("project_to_unit_sphere", default=False, label="Project to the unit-sphere",
             description="Scale each row to length 1 before training."),
        _seed(),
    ],
    columns=unfitted("two_class_support_vector_machine"),
)
def two_class_support_vector_machine(*, number_of_iterations, lambda_weight, normalize_features,
                                     project_to_unit_sphere, seed):
    """Linear SVM for a two-valued label: hinge loss by SGD with step 1 / (lambda * t),
    as Azure's Pegasos solver (SGDClassifier, learning_rate "optimal")."""
    svm = LinearScoreClassifier(
        loss="hinge", penalty="l2", alpha=lambda_weight, learning_rate="optimal",
        max_iter=number_of_iterations, tol=None, random_state=seed,
    )
    steps = [MinMaxScaler()] if normalize_features else []
    steps += [Normalizer()] if project_to_unit_sphere else []
    return {"untrained_model": make_pipeline(*steps, svm) if steps else svm}


@module(
    "two_class_neural_network",
    label="Two-Class Neural Network",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_network_params(learning_rate=0.1),
    columns=unfitted("two_class_neural_network"),
)
@sweeps(NETWORK_RANGES)
def two_class_neural_network(*, hidden_nodes, learning_rate, learning_iterations, momentum,
                             normalizer, shuffle, seed):
    """Neural network for a two-valued label (MLPClassifier, one hidden layer)."""
    return _network(MLPClassifier, hidden_nodes, learning_rate, learning_iterations, momentum,
                    normalizer, shuffle, seed)


@module(
    "neural_network_regression",
    label="Neural Network Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_network_params(learning_rate=0.005),
    columns=unfitted("neural_network_regression"),
)
@sweeps(NETWORK_RANGES)
def neural_network_regression(*, hidden_nodes, learning_rate, learning_iterations, momentum,
                              normalizer, shuffle, seed):
    """Neural network predicting a number (MLPRegressor, one hidden layer)."""
    return _network(MLPRegressor, hidden_nodes, learning_rate, learning_iterations, momentum,
                    normalizer, shuffle, seed)


@module(
    "poisson_regression",
    label="Poisson Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=sweepable([
        _optimization_tolerance(),
        _l2_weight(),
    ], POISSON_RANGES),
    columns=unfitted("poisson_regression"),
)
@sweeps(POISSON_RANGES)
def poisson_regression(*, optimization_tolerance, l2_weight):
    """Poisson regression of a count label (sklearn PoissonRegressor, L2 weight as in Azure)."""
    return {"untrained_model": PoissonCountRegressor(
        l2_weight=l2_weight, optimization_tolerance=optimization_tolerance)}


class MulticlassLogisticRegression(MulticlassLearner, LogisticRegression):
    """Multinomial logistic regression over any number of classes."""


class MulticlassDecisionForest(MulticlassLearner, RandomForestClassifier):
    """A random forest over any number of classes."""


class MulticlassBoostedDecisionTree(MulticlassLearner, HistGradientBoostingClassifier):
    """Gradient-boosted trees, one tree per class and round."""


class MulticlassNeuralNetwork(MulticlassLearner, MLPClassifier):
    """A network with one softmax output per class."""


@module(
    "multiclass_logistic_regression",
    label="Multiclass Logistic Regression",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_logistic_params(),
    columns=unfitted("multiclass_logistic_regression"),
)
@sweeps(LOGISTIC_RANGES)
def multiclass_logistic_regression(*, optimization_tolerance, l1_weight, l2_weight,
                                   max_iterations, seed):
    """Multinomial logistic regression for a label of several values (LogisticRegression)."""
    return _logistic(MulticlassLogisticRegression, optimization_tolerance, l1_weight,
                     l2_weight, max_iterations, seed)


@module(
    "multiclass_decision_forest",
    label="Multiclass Decision Forest",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_forest_params(),
    columns=unfitted("multiclass_decision_forest"),
)
@sweeps(FOREST_RANGES)
def multiclass_decision_forest(*, num_trees, max_depth, min_samples_per_leaf, seed):
    """A random forest for a label of several values (RandomForestClassifier)."""
    return _forest(MulticlassDecisionForest, num_trees, max_depth, min_samples_per_leaf, seed)


@module(
    "multiclass_boosted_decision_tree",
    label="Multiclass Boosted Decision Tree",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_boosting_params(),
    columns=unfitted("multiclass_boosted_decision_tree"),
)
@sweeps(BOOSTING_RANGES)
def multiclass_boosted_decision_tree(*, max_leaves, min_leaf_instances, learning_rate,
                                     num_trees, seed):
    """Gradient-boosted trees for a label of several values (HistGradientBoostingClassifier)."""
    return _boosted(MulticlassBoostedDecisionTree, max_leaves, min_leaf_instances,
                    learning_rate, num_trees, seed)


@module(
    "multiclass_neural_network",
    label="Multiclass Neural Network",
    category=CATEGORY,
    outputs=OUTPUTS,
    params=_network_params(learning_rate=0.1),
    columns=unfitted("multiclass_neural_network"),
)
@sweeps(NETWORK_RANGES)
def multiclass_neural_network(*, hidden_nodes, learning_rate, learning_iterations, momentum,
                              normalizer, shuffle, seed):
    """Neural network for a label of several values (MLPClassifier, one hidden layer)."""
    return _network(MulticlassNeuralNetwork, hidden_nodes, learning_rate, learning_iterations,
                    momentum, normalizer, shuffle, seed)
