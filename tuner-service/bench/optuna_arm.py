#!/usr/bin/env python3
"""The Optuna arm of the tuner benchmark: Optuna (TPE or random sampling, with its MedianPruner) drives the
Trainwatch trainer over REST on the same study the tuner runs.

Each trial trains the study's model with the sampled hyperparameters and the same training seed the tuner gives
its trial of the same index, so both optimisers see the same initialisations and data shuffles. The runs declare
`control: off`, so the tuner never steers them. Intermediate values are the run's validations
(`GET /runs/{id}/validations`); a pruned trial is stopped over REST (`POST /runs/{id}/stop`).

Prints one JSON document shaped like the tuner's `GET /studies/{id}` (id, createdAt, leaderboard rows with
trialId, steps, best, startedAt, finishedAt, status, reason), so that the benchmark reads every arm alike.

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

import optuna

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


ALIASES = {"hiddenUnits": "width", "hiddenLayerCount": "layers"}


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


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(t):
    return t.isoformat().replace("+00:00", "Z")


class Trainer:
    def __init__(self, url, timeout=10):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def run_arm(args):
    with open(args.study) as f:
        study_spec = json.load(f)
    space = study_spec["space"]
    budget = study_spec["budget"]
    trials = args.trials or budget["trials"]
    steps = args.steps or budget["stepsPerTrial"]
    jobs = args.jobs or budget.get("concurrentTrials", 1)
    base = dict(study_spec.get("model", {}))
    if "dataset" in study_spec:
        base["dataset"] = study_spec["dataset"]
    trainer = Trainer(args.trainer)
    tag = args.id or f"optuna-{args.sampler}-s{args.seed}-{int(time.time()):x}"
    sampler = optuna.samplers.TPESampler(seed=args.seed) if args.sampler == "tpe" \
        else optuna.samplers.RandomSampler(seed=args.seed)
    pruner = optuna.pruners.MedianPruner() if args.pruner == "median" else optuna.pruners.NopPruner()
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    rows = []
    lock = threading.Lock()
    created = now()

    def objective(trial):
        params = {ALIASES.get(k, k): suggest(trial, k, v) for k, v in space.items()}
        body = dict(base)
        body.update(params)
        if "seed" not in study_spec.get("model", {}):
            body["seed"] = trial_seed(args.seed, trial.number)
        body["maxSteps"] = steps
        body["control"] = {"mode": "off"}
        run_id = f"{tag}-t{trial.number}"
        body["runId"] = run_id
        status, answer = trainer.call("POST", "/runs", body)
        while status == 503:  # the trainer's run slots are busy: wait for one
            time.sleep(0.2)
            status, answer = trainer.call("POST", "/runs", body)
        if status != 202:
            raise RuntimeError(f"trainer refused trial {trial.number}: HTTP {status} {answer}")
        started = now()
        seen = 0
        best = None
        pruned = False
        view = None
        while True:
            _, vals = trainer.call("GET", f"/runs/{run_id}/validations")
            vals = vals if isinstance(vals, list) else []
            for v in vals[seen:]:
                acc = v.get("accuracy")
                if acc is None:
                    continue
                best = acc if best is None else max(best, acc)
                trial.report(acc, v["step"])
                if not pruned and trial.should_prune():
                    pruned = True
                    trainer.call("POST", f"/runs/{run_id}/stop")
            seen = len(vals)
            _, view = trainer.call("GET", f"/runs/{run_id}")
            if isinstance(view, dict) and view.get("finishedAt"):
                _, vals = trainer.call("GET", f"/runs/{run_id}/validations")
                if isinstance(vals, list) and len(vals) > seen and not pruned:
                    for v in vals[seen:]:
                        if v.get("accuracy") is not None:
                            best = v["accuracy"] if best is None else max(best, v["accuracy"])
                break
            time.sleep(args.poll)
        row = {"trialId": run_id, "steps": int(view.get("step", 0)), "best": best, "startedAt": iso(started),
               "finishedAt": iso(now()), "status": "pruned" if pruned else view.get("status"),
               "reason": "median pruner" if pruned else view.get("reason"), "params": params}
        with lock:
            rows.append(row)
        if pruned:
            raise optuna.TrialPruned()
        return best if best is not None else 0.0

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=trials, n_jobs=jobs, catch=(RuntimeError,))
    print(json.dumps({"id": tag, "createdAt": iso(created), "arm": f"optuna {args.sampler} + {args.pruner} pruner",
                      "leaderboard": rows}))


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
