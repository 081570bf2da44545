"""Checks of the Optuna arm's driver without a stack: `/usr/bin/python3 -m pytest tuner-service/bench`.

The pure parts (the tuner's trial seeds, the run body, the validation steps) need only the standard library; the
run of a whole arm against a stand-in trainer (an HTTP server in this process) needs `optuna`.
"""
import json
import math
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import optuna_arm  # noqa: E402


def test_trial_seed_is_the_tuners():
    # The same values pin the tuner's Sampler.trialSeed on the Java side (TrialSeedParityTest).
    assert optuna_arm.trial_seed(4, 0) == 483672598
    assert optuna_arm.trial_seed(1, 3) == 673184024
    assert optuna_arm.trial_seed(-7, 5) == 178485268
    assert optuna_arm.trial_seed(123456789012, 39) == 823771884


def test_run_body_is_what_the_trial_worker_trains():
    study = {"model": {"optimizer": "sgd", "hiddenLayers": [32, 32, 32], "weightInit": "normal", "initStd": 0.05,
                       "validateEverySteps": 50},
             "dataset": {"type": "spirals", "classes": 3}}
    body = optuna_arm.run_body(study, {"learningRate": 0.1, "hiddenUnits": 16}, 7, 600, "r-t000")
    assert body["hiddenLayers"] == [16, 16, 16]  # the width over the model's three layers
    assert "width" not in body and "hiddenUnits" not in body
    assert body["initStd"] == 0.05  # no initialisation sampled: the model's normal init keeps its spread
    assert body["seed"] == 7 and body["maxSteps"] == 600 and body["runId"] == "r-t000"
    assert body["epochs"] == 1_000_000  # the budget is the steps, as for the tuner's trials
    assert body["control"] == {"mode": "off"}
    assert body["dataset"] == {"type": "spirals", "classes": 3}

    body = optuna_arm.run_body(study, {"layers": 2, "weightInit": "xavier"}, 7, 600, "r")
    assert body["hiddenLayers"] == [32, 32]
    assert "initStd" not in body and body["weightInit"] == "xavier"

    body = optuna_arm.run_body({"model": {}}, {"layers": 3, "width": 8}, 1, 10, "r")
    assert body["hiddenLayers"] == [8, 8, 8]
    body = optuna_arm.run_body({"model": {}}, {"hiddenLayerCount": 1}, 1, 10, "r")
    assert body["hiddenLayers"] == [64]  # the trainer's default width

    fixed = optuna_arm.run_body({"model": {"seed": 42}}, {"l2": 1e-4}, 7, 10, "r")
    assert fixed["seed"] == 42  # a model that fixes the seed keeps it, as in the tuner
    assert study["model"]["hiddenLayers"] == [32, 32, 32]  # the study is not changed


def test_validation_step():
    assert optuna_arm.validation_step(49, 50) == 49
    assert optuna_arm.validation_step(55, 50) == 49
    assert optuna_arm.validation_step(48, 50) == -1
    assert optuna_arm.validation_step(100, 50) == 99
    assert optuna_arm.validation_step(17, 0) == 17


def test_following_a_run_without_the_validations_endpoint():
    f = optuna_arm.Follower(None, "r", 50, use_endpoint=False)
    assert f.from_view({"step": 30, "validationAccuracy": None}) == []
    # An epoch-end validation before the first scheduled one: not placed.
    assert f.from_view({"step": 30, "validationLoss": 1.2, "validationAccuracy": 0.4}) == []
    assert [v["step"] for v in f.from_view({"step": 60, "validationLoss": 1.0, "validationAccuracy": 0.5})] == [49]
    assert f.from_view({"step": 80, "validationLoss": 0.95, "validationAccuracy": 0.55}) == []  # one per step
    got = f.from_view({"step": 101, "validationLoss": 0.9, "validationAccuracy": 0.5})
    assert [(v["step"], v["validationAccuracy"]) for v in got] == [(99, 0.5)]
    # Stopped at step 120: the stop's validation, on the run's last step.
    got = f.from_view({"step": 120, "validationLoss": 0.8, "validationAccuracy": 0.6, "finishedAt": "x"})
    assert [(v["step"], v["validationAccuracy"]) for v in got] == [(120, 0.6)]


class StandInTrainer:
    """A trainer that trains nothing: each read of a run moves it 25 steps on; it validates every 50 steps and at
    the end of every epoch of 20 steps, as the trainer validates at epoch ends too."""

    def __init__(self, validations_endpoint):
        self.validations_endpoint = validations_endpoint
        self.runs = {}
        self.stops = []
        self.lock = threading.Lock()

    @staticmethod
    def accuracy(body, step):
        cap = max(0.1, 0.95 - 0.25 * abs(math.log10(body["learningRate"] / 0.07)))  # best near a rate of 0.07
        return cap * (1 - math.exp(-(step + 1) / 150))

    def advance(self, run):
        if run["finishedAt"]:
            return
        body = run["body"]
        last = body["maxSteps"] - 1
        if run["stop"]:
            run.update(status="stopped", finishedAt="2026-12-03T22:00:00Z")
            if run["step"] >= 0 and (not run["vals"] or run["vals"][-1]["step"] != run["step"]):
                self.validate(run, run["step"])
            return
        for s in range(run["step"] + 1, min(last, run["step"] + 25) + 1):
            run["step"] = s
            if (s + 1) % 50 == 0 or (s + 1) % 20 == 0 or s == last:
                self.validate(run, s)
        if run["step"] == last:
            run.update(status="completed", finishedAt="2026-12-03T22:00:00Z")

    def validate(self, run, step):
        acc = self.accuracy(run["body"], step)
        run["vals"].append({"step": step, "epoch": 0, "validationLoss": 1 - acc, "validationAccuracy": acc,
                            "trainLoss": 1 - acc, "trainAccuracy": acc})

    def view(self, run_id, run):
        latest = run["vals"][-1] if run["vals"] else {}
        return {"runId": run_id, "status": run["status"], "step": max(0, run["step"]), "epoch": 0,
                "loss": 0.5 if run["step"] >= 0 else None, "validationLoss": latest.get("validationLoss"),
                "validationAccuracy": latest.get("validationAccuracy"), "finishedAt": run["finishedAt"],
                "reason": "stopped through the REST API" if run["stop"] else None}

    def handle(self, method, path, body):
        parts = path.strip("/").split("/")
        with self.lock:
            if method == "POST" and parts == ["runs"]:
                run_id = body.pop("runId")
                self.runs[run_id] = {"body": body, "step": -1, "status": "running", "finishedAt": None,
                                     "stop": False, "vals": []}
                return 202, {"runId": run_id, "status": "pending"}
            run = self.runs.get(parts[1]) if len(parts) > 1 else None
            if run is None:
                return 404, {"error": "no run"}
            if method == "GET" and len(parts) == 2:
                self.advance(run)
                return 200, self.view(parts[1], run)
            if method == "GET" and parts[2:] == ["validations"] and self.validations_endpoint:
                return 200, list(run["vals"])
            if method == "POST" and parts[2:] == ["stop"]:
                if run["finishedAt"]:
                    return 409, self.view(parts[1], run)
                run["stop"] = True
                self.stops.append(parts[1])
                return 202, self.view(parts[1], run)
            return 404, None


@pytest.fixture(params=[True, False], ids=["validations endpoint", "following the run's view"])
def trainer(request):
    stand_in = StandInTrainer(validations_endpoint=request.param)

    class Handler(BaseHTTPRequestHandler):
        def reply(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = stand_in.handle(method, self.path, body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.reply("GET")

        def do_POST(self):
            self.reply("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield stand_in
    server.shutdown()
    server.server_close()


def test_an_arm_prunes_stops_and_prints_a_study(trainer, tmp_path, capsys):
    pytest.importorskip("optuna")
    study = {"space": {"learningRate": {"type": "log-uniform", "min": 1e-4, "max": 5},
                       "width": {"type": "integer", "min": 8, "max": 64},
                       "activation": {"type": "categorical", "values": ["relu", "tanh"]}},
             "budget": {"trials": 14, "concurrentTrials": 1, "stepsPerTrial": 300},
             "dataset": {"type": "spirals"},
             "model": {"optimizer": "sgd", "hiddenLayers": [32, 32], "validateEverySteps": 50}}
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study))
    optuna_arm.main(["--trainer", trainer.url, "--study", str(path), "--seed", "3", "--sampler", "random",
                     "--id", "arm", "--poll", "0"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["id"] == "arm" and doc["createdAt"].endswith("Z")
    rows = doc["leaderboard"]
    assert [r["trialId"] for r in rows] == [f"t{i:03d}" for i in range(14)]
    for i, r in enumerate(rows):
        posted = trainer.runs[r["runId"]]["body"]
        assert posted["seed"] == optuna_arm.trial_seed(3, i)
        assert posted["control"] == {"mode": "off"} and posted["hiddenLayers"] == [r["hyperparameters"]["width"]] * 2
        vals = trainer.runs[r["runId"]]["vals"]
        assert r["best"] == max(v["validationAccuracy"] for v in vals)
        assert r["lastValidation"] == vals[-1]["validationAccuracy"]
        assert r["steps"] == trainer.runs[r["runId"]]["step"] + 1
    pruned = [r for r in rows if r["stopReason"] == "median pruner"]
    assert pruned, "with 14 trials of different rates, the median pruner stops some"
    assert sorted(r["runId"] for r in pruned) == sorted(trainer.stops)
    assert all(r["status"] == "stopped" and r["steps"] < 300 for r in pruned)
    assert all(int(r["trialId"][1:]) >= 5 for r in pruned)  # the median pruner's five start-up trials run whole
    assert all(r["status"] == "completed" and r["steps"] == 300 for r in rows if r not in pruned)
