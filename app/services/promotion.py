"""Champion / challenger: compare model versions on the same held-out rows, promote, roll back.

A real-time endpoint serves one model version, the champion. Linked to a pipeline endpoint,
each retrain there registers a challenger. The comparison scores champion and challenger on
the same rows: the rows the challenger's run held out for scoring (its test split), as they
entered its Score Model. Promoting swaps the served version: the new graph is compiled first,
then one reference is replaced, so requests in flight finish on the model they started with.
Every decision, by hand or by the endpoint's rule, is recorded with its reason.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from sqlalchemy import select

from ..engine.artifacts import ArtifactRef
from ..engine.context import ModuleError, StepContext
from ..engine.document import PipelineDocument
from ..engine.spec import TRANSFORMATION
from ..errors import BadRequest, Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models import (
    ModelVersion,
    PipelineEndpoint,
    PromotionDecision,
    RealtimeEndpoint,
    Run,
    iso,
    now,
)
from . import audit, models, publishing, realtime, webhooks
from . import runs as run_service
from .runtime import runtime

log = logging.getLogger(__name__)
HIGHER_IS_BETTER = ("auc", "accuracy", "precision", "recall", "f1", "r2")
LOWER_IS_BETTER = ("mae", "rmse", "relative_absolute_error", "relative_squared_error")
METRICS = HIGHER_IS_BETTER + LOWER_IS_BETTER


def label(version: ModelVersion | None) -> str:
    """'model:version' as decisions record it."""
    return f"{version.model.name}:{version.version}" if version else ""


# -- settings ---------------------------------------------------------------------------------
def configure(ref: str, changes: dict, *, by: str) -> RealtimeEndpoint:
    """Link the endpoint to a pipeline endpoint and set (or clear) its promotion rule."""
    endpoint = realtime.find(ref)
    if "pipeline_endpoint" in changes:
        linked = changes["pipeline_endpoint"]
        endpoint.pipeline_endpoint = publishing.find(linked) if linked else None
    if "auto_promote" in changes:
        rule = changes["auto_promote"]
        if rule is None:
            endpoint.auto_metric, endpoint.auto_margin = None, 0.0
        else:
            if rule.get("metric") not in METRICS:
                raise Unprocessable(f"Unknown metric {rule.get('metric')!r}; one of "
                                    f"{', '.join(METRICS)}.", field="auto_promote.metric")
            endpoint.auto_metric = rule["metric"]
            endpoint.auto_margin = float(rule.get("margin") or 0.0)
    endpoint.updated = now()
    db.session.commit()
    audit.record("realtime.configure", endpoint.name, {
        "pipeline_endpoint": endpoint.pipeline_endpoint.name if endpoint.pipeline_endpoint
        else None, "auto_metric": endpoint.auto_metric, "auto_margin": endpoint.auto_margin},
        actor=by or None)
    return endpoint


def settings_dict(endpoint: RealtimeEndpoint) -> dict:
    """The champion / challenger part of an endpoint's JSON form."""
    linked = endpoint.pipeline_endpoint
    return {"pipeline_endpoint": linked.name if linked else None,
            "auto_promote": {"metric": endpoint.auto_metric, "margin": endpoint.auto_margin}
            if endpoint.auto_metric else None, "auto_promote_metrics": list(METRICS)}


# -- challengers and the comparison -----------------------------------------------------------
def challengers(endpoint: RealtimeEndpoint) -> list[ModelVersion]:
    """Versions that could replace the champion, newest first: later versions of the
    champion's model and every model the linked pipeline endpoint's retrains registered."""
    champion = endpoint.model_version
    query = select(ModelVersion).order_by(ModelVersion.created.desc(), ModelVersion.id.desc())
    found = []
    for version in db.session.scalars(query):
        if champion is not None and version.id == champion.id:
            continue
        same_model = champion is not None and version.model_id == champion.model_id
        linked = endpoint.pipeline_endpoint is not None and \
            version.endpoint_name == endpoint.pipeline_endpoint.name
        if same_model or linked:
            found.append(version)
    return found


def _held_out(version: ModelVersion):
    """The rows the version's run scored its model on (as they entered Score Model)."""
    run = db.session.get(Run, version.run_id) if version.run_id else None
    if run is None:
        raise Unprocessable(f"Model {label(version)}: its run is deleted, so there are no "
                            "held-out rows to compare on.")
    edges = run.document.get("edges", [])
    scorers = {e["to"]["node"] for e in edges if e["from"]["node"] == version.node_id}
    feeding = next((e["from"] for e in edges
                    if e["to"]["node"] in scorers and e["to"]["port"] == "dataset"), None)
    try:
        if feeding is None:
            raise NotFound("no Score Model after its Train Model")
        ref = run_service.output_ref(run.id, feeding["node"], feeding["port"])
    except NotFound:
        raise Unprocessable(f"Model {label(version)}: its run scored it on no stored rows "
                            "(no Score Model after its Train Model).") from None
    return runtime().store.get(ref), run.id


def _evaluate(version: ModelVersion, rows) -> dict:
    modules, ctx = runtime().modules, StepContext("compare")
    trained = runtime().store.get(ArtifactRef(version.artifact_key, "joblib"))
    score, evaluate = modules["score_model"], modules["evaluate_model"]
    try:
        scored = score.call({"trained_model": trained, "dataset": rows},
                            score.resolve_params({}), ctx)["scored_dataset"]
        result = evaluate.call({"scored_dataset": scored}, evaluate.resolve_params({}),
                               ctx)["evaluation_results"]
    except ModuleError as exc:
        raise Unprocessable(f"Model {label(version)} cannot score the held-out rows: {exc}") \
            from None
    return {"model": version.model.name, "version": version.version, "task": result["task"],
            "metrics": result["metrics"], "curves": result["curves"]}


def compare(endpoint: RealtimeEndpoint, challenger: ModelVersion) -> dict:
    """Champion and challenger scored on the challenger run's held-out rows, side by side."""
    champion = endpoint.model_version
    if champion is None:
        raise Conflict(f"Real-time endpoint '{endpoint.name}' serves no registered model "
                       "version to compare with.")
    rows, run_id = _held_out(challenger)
    return {"rows": int(len(rows)), "run_id": run_id,
            "champion": _evaluate(champion, rows), "challenger": _evaluate(challenger, rows)}


def beats(comparison: dict, metric: str, margin: float) -> tuple[bool, str]:
    """Whether the challenger beats the champion on ``metric`` by more than ``margin``."""
    old = comparison["champion"]["metrics"].get(metric)
    new = comparison["challenger"]["metrics"].get(metric)
    if old is None or new is None:
        return False, f"{metric} is not measured for this task"
    gain = new - old if metric in HIGHER_IS_BETTER else old - new
    verdict = gain > margin
    return verdict, (f"{metric} {new:.5f} vs {old:.5f} on {comparison['rows']} held-out rows: "
                     f"{'better' if gain > 0 else 'not better'} by {abs(gain):.5f} "
                     f"({'more' if verdict else 'not more'} than the margin {margin})")


# -- promoting --------------------------------------------------------------------------------
def promote(ref: str, model: Any, number: Any, *, by: str, reason: str = "",
            automatic: bool = False, comparison: dict | None = None) -> PromotionDecision:
    """Serve ``model`` version ``number`` from now on (also a roll back to an older one)."""
    endpoint = realtime.find(ref)
    if not isinstance(model, str) or not isinstance(number, int) or isinstance(number, bool):
        raise BadRequest("Give the model name and version number to promote.")
    target = models.version_of(model, number)
    before = endpoint.model_version
    if before is not None and before.id == target.id:
        raise Conflict(f"Model {label(target)} is already served by '{endpoint.name}'.")
    document = _with_version(endpoint.document, target)
    graph = realtime.compiled(PipelineDocument.model_validate(document))
    back = realtime.served_before(endpoint, target)
    endpoint.document, endpoint.model_version = document, target
    endpoint.deployment += 1
    realtime.record_deployment(endpoint, "roll back" if back else "promote", by=by, reason=reason)
    realtime.install(endpoint, graph)  # ready before the new deployment number is visible
    endpoint.updated = now()
    decision = PromotionDecision(
        endpoint_id=endpoint.id, champion=label(before), challenger=label(target),
        promoted=True, rolled_back=back, automatic=automatic, reason=reason,
        comparison=_brief(comparison), decided_by=by)
    db.session.add(decision)
    db.session.commit()
    audit.record("realtime.promote", endpoint.name, {"from": label(before),
                                                      "to": label(target),
                                                      "automatic": automatic},
                 actor=by or None)
    webhooks.model_promoted(endpoint, decision)
    return decision


def _with_version(document: dict, version: ModelVersion) -> dict:
    """The deployed document serving ``version``: its model, and the transformations its own
    run learned where that run has the same steps."""
    doc = copy.deepcopy(document)
    run = db.session.get(Run, version.run_id) if version.run_id else None
    stored = {s.node_id: s.outputs or {} for s in run.steps} if run else {}
    fed = {e["from"]["node"]: e["to"]["node"] for e in doc["edges"]
           if e["to"]["port"] == "transformation"}
    modules = runtime().modules
    for node in doc["nodes"]:
        if node["module"] == "saved_model":
            node["params"] = {"artifact": version.artifact_key,
                              "source": f"model {label(version)} (run {version.run_id}, "
                                        f"step {version.node_id})"}
        elif node["module"] == "saved_transformation" and fed.get(node["id"]) in stored:
            origin = fed[node["id"]]
            spec = modules.get(_module_of(run, origin))
            port = next((p.name for p in spec.outputs if p.type == TRANSFORMATION), None) \
                if spec else None
            ref = stored[origin].get(port) if port else None
            if ref:
                node["params"] = {"artifact": ref["key"],
                                  "source": f"run {run.id} step {origin} ({port})"}
    return doc


def _module_of(run: Run, node_id: str) -> str | None:
    return next((n["module"] for n in run.document.get("nodes", []) if n["id"] == node_id), None)


def _brief(comparison: dict | None) -> dict:
    """What a decision keeps of a comparison: rows, run and each side's metrics."""
    if not comparison:
        return {}
    return {"rows": comparison["rows"], "run_id": comparison["run_id"],
            **{side: {k: comparison[side][k] for k in ("model", "version", "metrics")}
               for side in ("champion", "challenger")}}


def consider(endpoint: RealtimeEndpoint, challenger: ModelVersion) -> PromotionDecision:
    """The endpoint's rule applied to a new challenger: promoted or kept, recorded either way."""
    try:
        comparison = compare(endpoint, challenger)
        better, why = beats(comparison, endpoint.auto_metric, endpoint.auto_margin)
    except (Unprocessable, Conflict) as exc:
        comparison, better, why = None, False, exc.message
    if better:
        return promote(endpoint.id, challenger.model.name, challenger.version, by="rule",
                       reason=why, automatic=True, comparison=comparison)
    decision = PromotionDecision(
        endpoint_id=endpoint.id, champion=label(endpoint.model_version),
        challenger=label(challenger), promoted=False, automatic=True, reason=why,
        comparison=_brief(comparison), decided_by="rule")
    db.session.add(decision)
    db.session.commit()
    return decision


def after_retrain(versions: list[ModelVersion]) -> None:
    """Apply the rule of every real-time endpoint linked to the pipeline endpoint that just
    registered ``versions`` (called when its run finished)."""
    for version in versions:
        if not version.endpoint_name:
            continue
        linked = db.session.scalars(
            select(RealtimeEndpoint).join(RealtimeEndpoint.pipeline_endpoint)
            .where(RealtimeEndpoint.auto_metric.is_not(None),
                   PipelineEndpoint.name == version.endpoint_name))
        for endpoint in linked:
            try:
                consider(endpoint, version)
            except Exception:
                log.exception("promotion rule of %s failed for %s", endpoint.name,
                              label(version))
                db.session.rollback()


def decisions(endpoint: RealtimeEndpoint) -> list[dict]:
    """Every decision on the endpoint, newest first."""
    rows = db.session.scalars(select(PromotionDecision).filter_by(endpoint_id=endpoint.id)
                              .order_by(PromotionDecision.id.desc()))
    return [{"champion": d.champion, "challenger": d.challenger, "promoted": d.promoted,
             "rolled_back": d.rolled_back, "automatic": d.automatic, "reason": d.reason,
             "comparison": d.comparison, "decided_by": d.decided_by,
             "created": iso(d.created)} for d in rows]

