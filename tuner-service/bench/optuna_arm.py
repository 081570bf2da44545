#!/usr/bin/env python3
"""The Optuna arm of the tuner benchmark: Optuna (TPE or random sampling, with its MedianPruner) drives the
Trainwatch trainer over REST on the same study the tuner runs.

Each trial trains the study's model with the sampled hyperparameters and the same training seed the tuner gives
its trial of the same index, so both optimisers see the same initialisations and data shuffles. The runs declare
`control: off`, so the tuner never steers them. Intermediate values are the run's validations
(`GET /runs/{id}/validations`); a pruned trial is stopped over REST (`POST /runs/{id}/stop`). A trainer without
that endpoint is followed through `GET /runs/{id}` instead, an approximation: the run's latest validation value is
taken once per scheduled validation step (`validateEverySteps`), and validations between two polls are not seen.

Prints one JSON document shaped like the tuner's `GET /studies/{id}` (id, createdAt, leaderboard rows with
trialId, runId, steps, best, lastValidation, startedAt, finishedAt, status, stopReason, reason), so that the
benchmark reads every arm alike. A pruned trial has status `stopped` and stopReason `median pruner`; a run the
trainer ended on a non-finite loss has status `diverged` and stopReason `divergence`, as in the tuner.

Optuna: https://optuna.readthedocs.io (TPESampler, RandomSampler, MedianPruner, study.optimize(n_jobs=...)).
"""
import argparse
import datetime
import json
import sys
import threading
import time
import urllib.error
import urllib.request

MASK = (1 << 64) - 1


def _mix(z):
    z &= MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def trial_seed(study_seed, index):
    """The tuner's per-trial training seed (its Sampler.trialSeed), bit for bit."""
    z = _mix((study_seed & MASK) ^ ((0xC2B2AE3D27D4EB4F * (index + 1)) & MASK))
    if z >= 1 << 63:
        z -= 1 << 64
    return z % 1_000_000_000


# The tuner's aliases (TrainerParameters): a study may name the width and depth either way.
ALIASES = {"hiddenUnits": "width", "hiddenLayerCount": "layers"}
# A trial's budget is its steps: the trial worker lifts the epoch limit (the trainer's RunSpec.withBudget), while a
# REST run stops after its `epochs` (20 unless given) even before `maxSteps`.
TRIAL_EPOCHS = 1_000_000
# Initialisations whose spread is given by initStd; the trainer refuses initStd beside any other.
SPREAD_INITS = ("normal", "uniform")


def suggest(trial, name, spec):
    kind = spec["type"]
    if kind == "log-uniform":
        return trial.suggest_float(name, spec["min"], spec["max"], log=True)
    if kind == "uniform":
        return trial.suggest_float(name, spec["min"], spec["max"])
    if kind == "integer":
        return trial.suggest_int(name, int(spec["min"]), int(spec["max"]), log=bool(spec.get("log", False)))
    if kind == "categorical":
        return trial.suggest_categorical(name, spec["values"])
    raise ValueError(f"parameter {name}: unknown type {kind!r}")


def run_body(study_spec, params, seed, steps, run_id):
    """The trainer's `POST /runs` body of a trial: what the tuner's trial worker trains for the same point.

    The study's model and dataset, overridden by the sampled values; `layers` and `width` become `hiddenLayers`
    (the trial worker's rule: the number of layers and their common width, the other taken from the model's
    `hiddenLayers`, else [64, 64]); `initStd` is dropped beside an initialisation without spread (as the tuner
    does); the trial's seed unless the model fixes one; the budget as `maxSteps` with no epoch limit; `control: off`.
    """
    model = study_spec.get("model", {})
    body = dict(model)
    if "dataset" in study_spec:
        body["dataset"] = study_spec["dataset"]
    values = {ALIASES.get(k, k): v for k, v in params.items()}
    init = values.get("weightInit")
    if init is not None and str(init) not in SPREAD_INITS:
        body.pop("initStd", None)
    layers = values.pop("layers", None)
    width = values.pop("width", None)
    body.update(values)
    if layers is not None or width is not None:
        current = body.get("hiddenLayers") if isinstance(body.get("hiddenLayers"), list) else [64, 64]
        n = int(layers) if layers is not None else len(current)
        w = int(width) if width is not None else (int(current[0]) if current else 64)
        body["hiddenLayers"] = [w] * n
    if "seed" not in model:
        body["seed"] = seed
    body["maxSteps"] = steps
    body["epochs"] = TRIAL_EPOCHS
    body["control"] = {"mode": "off"}
    body["runId"] = run_id
    return body


def validation_step(step, every):
    """The step of the newest validation a run at `step` has made (validations follow steps s with (s+1) % every == 0)."""
    if not every or every <= 0:
        return step
    return ((step + 1) // every) * every - 1


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(t):
    return t.isoformat().replace("+00:00", "Z")


class Trainer:
    def __init__(self, url, timeout=10, retries=5):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries

    def call(self, method, path, body=None):
        """(status, parsed JSON or text); connection errors are retried a few times, then raised."""
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as r:
                    text = r.read().decode()
                    return r.status, (json.loads(text) if text.strip() else None)
            except urllib.error.HTTPError as e:
                text = e.read().decode()
                try:
                    return e.code, json.loads(text)
                except ValueError:
                    return e.code, text
            except OSError:
                if attempt == self.retries:
                    raise
                time.sleep(0.5 * (attempt + 1))


class Follower:
    """Reads the validations of one run: the trainer's list, or (without that endpoint) the run's latest values."""

    def __init__(self, trainer, run_id, every, use_endpoint):
        self.trainer = trainer
        self.run_id = run_id
        self.every = every
        self.use_endpoint = use_endpoint
        self.seen = []

    def poll(self):
        """(new validations as {step, validationAccuracy, ...}, the run's view or None)."""
        if self.use_endpoint:
            status, vals = self.trainer.call("GET", f"/runs/{self.run_id}/validations")
            if status == 200 and isinstance(vals, list):
                fresh = vals[len(self.seen):]
                self.seen.extend(fresh)
                _, view = self.trainer.call("GET", f"/runs/{self.run_id}")
                return fresh, view if isinstance(view, dict) else None
        _, view = self.trainer.call("GET", f"/runs/{self.run_id}")
        if not isinstance(view, dict):
            return [], None
        return self.from_view(view), view

    def from_view(self, view):
        """The run's latest validation value, once per scheduled validation step: the trainer also validates at
        every epoch end, and the view says neither which step a value is from nor whether one was missed between
        two polls, so each value is put on the newest scheduled step the run has passed (one value per such step)."""
        acc = view.get("validationAccuracy")
        if acc is None:
            return []
        step = int(view.get("step", 0))
        at = step if view.get("finishedAt") else validation_step(step, self.every)
        if at < 0 or (self.seen and at <= self.seen[-1]["step"]):
            return []
        v = {"step": at, "epoch": view.get("epoch"), "validationLoss": view.get("validationLoss"),
             "validationAccuracy": acc}
        self.seen.append(v)
        return [v]


def has_validations_endpoint(trainer, run_id):
    """Whether the trainer serves `GET /runs/{id}/validations` (asked of a run it knows)."""
    status, answer = trainer.call("GET", f"/runs/{run_id}/validations")
    return status == 200 and isinstance(answer, list)


def run_arm(args):
    import optuna

    with open(args.study) as f:
        study_spec = json.load(f)
    space = study_spec["space"]
    budget = study_spec["budget"]
    trials = args.trials or budget["trials"]
    steps = args.steps or budget["stepsPerTrial"]
    jobs = args.jobs or budget.get("concurrentTrials", 1)
    every = int(study_spec.get("model", {}).get("validateEverySteps", 0) or 0)
    trainer = Trainer(args.trainer)
    tag = args.id or f"optuna-{args.sampler}-s{args.seed}-{int(time.time()):x}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=args.seed) if args.sampler == "tpe" \
        else optuna.samplers.RandomSampler(seed=args.seed)
    pruner = optuna.pruners.MedianPruner() if args.pruner == "median" else optuna.pruners.NopPruner()
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    rows = []
    lock = threading.Lock()
    endpoint = {}
    created = now()

    def objective(trial):
        params = {k: suggest(trial, k, v) for k, v in space.items()}
        trial_id = f"t{trial.number:03d}"
        run_id = f"{tag}-{trial_id}"
        body = run_body(study_spec, params, trial_seed(args.seed, trial.number), steps, run_id)
        started = now()
        row = {"trialId": trial_id, "runId": run_id, "steps": 0, "best": None, "lastValidation": None,
               "startedAt": iso(started), "finishedAt": None, "status": "failed", "stopReason": None,
               "reason": None, "hyperparameters": params}
        try:
            status, answer = trainer.call("POST", "/runs", body)
            while status == 503:  # the trainer's run slots are busy: wait for one
                time.sleep(0.2)
                status, answer = trainer.call("POST", "/runs", body)
            if status != 202:
                row["reason"] = f"trainer refused the run: HTTP {status} {answer}"
                raise RuntimeError(f"trial {trial.number}: {row['reason']}")
            with lock:
                if "use" not in endpoint:
                    endpoint["use"] = has_validations_endpoint(trainer, run_id)
                    if not endpoint["use"]:
                        print("optuna_arm: the trainer has no GET /runs/{id}/validations: following GET /runs/{id}",
                              file=sys.stderr)
            follower = Follower(trainer, run_id, every, endpoint["use"])
            pruned = False

            def take(fresh, may_prune):
                nonlocal pruned
                for v in fresh:
                    acc = v.get("validationAccuracy")
                    if acc is None or acc != acc or int(v["step"]) < 0:  # missing or NaN
                        continue
                    row["best"] = acc if row["best"] is None else max(row["best"], acc)
                    row["lastValidation"] = acc
                    trial.report(acc, int(v["step"]))
                    if may_prune and not pruned and trial.should_prune():
                        # A run that ended meanwhile (409) trained its whole budget: it counts as completed.
                        pruned = trainer.call("POST", f"/runs/{run_id}/stop")[0] == 202

            while True:
                fresh, view = follower.poll()
                take(fresh, True)
                if view is not None and view.get("finishedAt"):
                    if follower.use_endpoint:
                        take(follower.poll()[0], False)  # validations written after the list was read
                    elif view.get("validationAccuracy") is not None and view["validationAccuracy"] == view["validationAccuracy"]:
                        last = view["validationAccuracy"]  # the run's last validation, whatever its step
                        row["lastValidation"] = last
                        row["best"] = last if row["best"] is None else max(row["best"], last)
                    break
                time.sleep(args.poll)
            if view.get("status") != "stopped":
                pruned = False  # the stop came after the run's last step: it trained its whole budget
            trained = view.get("loss") is not None or view.get("status") != "failed"  # step 0 is the first step
            row.update(steps=int(view.get("step", 0)) + 1 if trained else 0, finishedAt=iso(now()),
                       status="stopped" if pruned else view.get("status"), reason=view.get("reason"))
            if pruned:
                row["stopReason"] = "median pruner"
            elif view.get("status") == "diverged":
                row["stopReason"] = "divergence"
        finally:
            if row["finishedAt"] is None:
                row["finishedAt"] = iso(now())
            with lock:
                rows.append(row)
        if pruned:
            raise optuna.TrialPruned()
        return row["best"] if row["best"] is not None else 0.0

    study.optimize(objective, n_trials=trials, n_jobs=jobs, catch=(RuntimeError,))
    print(json.dumps({"id": tag, "createdAt": iso(created), "arm": f"optuna {args.sampler} + {args.pruner} pruner",
                      "status": "completed", "leaderboard": rows}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trainer", default="http://127.0.0.1:8081", help="the trainer's base URL")
    p.add_argument("--study", required=True, help="a study file (the tuner's study JSON)")
    p.add_argument("--seed", type=int, default=1, help="the study seed: sampler seed and per-trial training seeds")
    p.add_argument("--sampler", choices=["tpe", "random"], default="tpe")
    p.add_argument("--pruner", choices=["median", "none"], default="median")
    p.add_argument("--trials", type=int, help="trials (default: the study's budget)")
    p.add_argument("--steps", type=int, help="steps per trial (default: the study's budget)")
    p.add_argument("--jobs", type=int, help="trials at a time (default: the study's concurrentTrials)")
    p.add_argument("--id", help="a name for the runs (default: derived from sampler, seed and time)")
    p.add_argument("--poll", type=float, default=0.05, help="seconds between polls of a run")
    run_arm(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
