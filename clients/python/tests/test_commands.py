"""Commands from tuner.commands, through a real broker: applied on the training thread at the next step,
confirmed with command-applied, once per command id; suggestions are never applied."""

import threading
import time

import pytest
import torch
import torch.nn.functional as F

import trainwatch
from conftest import send, strip
from trainwatch.commands import parse_command


def command(run_id, command_id, kind="set-learning-rate", **fields):
    doc = {"schemaVersion": 1, "commandId": command_id, "runId": run_id, "type": kind, "reason": "test",
           "timestamp": "2026-12-03T10:00:00.000Z"}
    doc.update(fields)
    return doc


class Loop:
    """A small training loop that records, per step, the rate the optimizer used and the thread."""

    def __init__(self, tw, model, opt, order):
        self.tw, self.model, self.opt, self.order = tw, model, opt, order
        self.rates = []       # the rate in force during each optimizer step
        self.threads = set()
        g = torch.Generator().manual_seed(0)
        self.x, self.y = torch.randn(16, 4, generator=g), torch.randint(0, 2, (16,), generator=g)

    def step(self):
        out = self.model(self.x)
        loss = F.cross_entropy(out, self.y)
        loss.backward()
        if self.order == "before":
            self.tw.step(loss, logits=out, targets=self.y)
            self.rates.append(self.opt.param_groups[0]["lr"])
            self.opt.step()
        else:
            self.rates.append(self.opt.param_groups[0]["lr"])
            self.opt.step()
            self.tw.step(loss, logits=out, targets=self.y)
        self.opt.zero_grad()

    def until(self, condition, timeout=20.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "condition not met in %.0f s" % timeout
            self.step()
            time.sleep(0.01)


def new_run(bootstrap, run_id, control="auto", **options):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=bootstrap, num_classes=2, control=control, **options)
    assert tw.listener.ready.wait(30), "the command listener did not reach the broker"
    return tw, model, opt


@pytest.mark.parametrize("order", ["before", "after"])
def test_set_learning_rate_applies_at_the_next_step_once_and_is_confirmed(bootstrap, contract, read_topic,
                                                                          run_id, order):
    tw, model, opt = new_run(bootstrap, run_id)
    loop = Loop(tw, model, opt, order)
    applied_on = []
    original_apply = tw._apply

    def spy(commands, effective_step):   # records the thread that applies commands
        if commands:
            applied_on.append(threading.current_thread())
        return original_apply(commands, effective_step)

    tw._apply = spy
    for _ in range(3):
        loop.step()
    send(bootstrap, "tuner.commands", "another-run", command("another-run", "c-other", learningRate=0.5))
    first = command(run_id, "c-1", learningRate=0.01, alertId="alert-7")
    contract.check_command(first)
    send(bootstrap, "tuner.commands", run_id, first)
    loop.until(lambda: opt.param_groups[0]["lr"] != 0.1)
    assert opt.param_groups[0]["lr"] == 0.01
    assert applied_on == [threading.main_thread()]
    loop.step()
    changed_at = loop.rates.index(0.01)

    # the same id again (a redelivery), with another rate: no effect
    send(bootstrap, "tuner.commands", run_id, command(run_id, "c-1", learningRate=0.5))
    # a suggestion: kept for the user, never applied, never confirmed
    send(bootstrap, "tuner.commands", run_id, command(run_id, "c-2", learningRate=0.001, mode="suggest"))
    loop.until(lambda: len(tw.suggestions) == 1)
    for _ in range(3):
        loop.step()
    assert opt.param_groups[0]["lr"] == 0.01
    assert tw.suggestions[0].command_id == "c-2" and tw.suggestions[0].learning_rate == 0.001

    send(bootstrap, "tuner.commands", run_id, command(run_id, "c-3", kind="stop"))
    loop.until(lambda: tw.should_stop)
    last_step = tw.step_index
    report = tw.finish()
    assert report.status == "stopped"

    records = read_topic("training.events", run_id).read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    for r in records:
        contract.check_event(strip(r))
    applied = [r for r in records if r["type"] == "command-applied"]
    assert [(a["commandId"], a["command"]) for a in applied] == [("c-1", "set-learning-rate"), ("c-3", "stop")]
    lr_event = applied[0]
    # confirmed at the step whose optimizer update first used the new rate
    assert lr_event["step"] == changed_at
    assert lr_event["details"] == {"previousLearningRate": 0.1, "learningRate": 0.01, "reason": "test",
                                   "alertId": "alert-7"}
    steps = {r["step"]: r for r in records if r["type"] == "step"}
    assert steps[changed_at]["learningRate"] == 0.01 and steps[changed_at - 1]["learningRate"] == 0.1
    assert [steps[k]["learningRate"] for k in sorted(steps)] == loop.rates
    stop_event = applied[1]
    assert stop_event["step"] in (last_step, last_step + 1)
    finished = records[-1]
    assert finished["status"] == "stopped" and finished["reason"].startswith("stop command c-3")


def test_a_decay_keeps_the_ratio_between_param_groups(bootstrap, read_topic, run_id):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.01}, {"params": model[2].parameters()}], lr=0.1)
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=bootstrap, num_classes=2, control="auto")
    assert tw.listener.ready.wait(30)
    loop = Loop(tw, model, opt, "before")
    loop.step()
    send(bootstrap, "tuner.commands", run_id, command(run_id, "c-1", learningRate=0.001))
    loop.until(lambda: opt.param_groups[0]["lr"] != 0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.001, pytest.approx(0.01)]
    tw.finish()
    records = read_topic("training.events", run_id).read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    applied = next(r for r in records if r["type"] == "command-applied")
    assert applied["details"]["learningRates"] == [0.001, pytest.approx(0.01)]
    assert [r["learningRates"] for r in records if r["type"] == "step"][0] == [0.01, 0.1]


def test_parse_command_rejects_what_the_contract_rejects():
    good = command("r", "c", learningRate=0.1)
    import json
    assert parse_command(json.dumps(good).encode(), "r")[0].learning_rate == 0.1
    cases = {
        "not JSON": b"{",
        "for run": json.dumps(command("other", "c", learningRate=0.1)).encode(),
        "newer": json.dumps(dict(good, schemaVersion=2)).encode(),
        "missing commandId": json.dumps(dict(good, commandId="")).encode(),
        "unknown command type": json.dumps(dict(good, type="reset")).encode(),
        "unknown mode": json.dumps(dict(good, mode="maybe")).encode(),
        "learningRate > 0": json.dumps(dict(good, learningRate=0)).encode(),
    }
    for why, raw in cases.items():
        parsed, reason = parse_command(raw, "r")
        assert parsed is None and why in reason, (why, reason)
    nan = json.dumps(dict(good, learningRate=float("nan"))).encode()
    assert parse_command(nan, "r")[0] is None
    assert parse_command(json.dumps(command("r", "s", kind="stop")).encode(), "r")[0].type == "stop"


def test_a_stop_that_arrives_after_the_last_step_is_confirmed_by_finish(bootstrap, read_topic, run_id):
    tw, model, opt = new_run(bootstrap, run_id)
    loop = Loop(tw, model, opt, "before")
    for _ in range(3):
        loop.step()
    send(bootstrap, "tuner.commands", run_id, command(run_id, "c-late", kind="stop"))
    deadline = time.monotonic() + 20
    while not tw.listener.inbox:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert tw.finish().status == "stopped"
    records = read_topic("training.events", run_id).read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    applied = [r for r in records if r["type"] == "command-applied"]
    assert [(a["commandId"], a["step"]) for a in applied] == [("c-late", 2)]
