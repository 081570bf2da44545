"""What a PyTorch run publishes on training.events, read back from a real broker."""

import math

import pytest
import torch
import torch.nn.functional as F

import trainwatch
from conftest import strip


def mlp(seed=0, sizes=(8, 16, 16, 3)):
    torch.manual_seed(seed)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class Nested(torch.nn.Module):
    """Layers at several depths, a parameter owned by a non-leaf module, a frozen layer."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv1d(1, 4, 3, padding=1)
        self.block = torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.Tanh(), torch.nn.LayerNorm(16))
        self.frozen = torch.nn.Linear(16, 16)
        self.frozen.requires_grad_(False)
        self.head = torch.nn.Linear(16, 3)
        self.scale = torch.nn.Parameter(torch.tensor(1.5))

    def forward(self, x):
        h = torch.relu(self.stem(x.unsqueeze(1))).flatten(1)
        h = self.frozen(self.block(h))
        return self.head(h) * self.scale


def batch(n=32, features=8, classes=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, features, generator=g), torch.randint(0, classes, (n,), generator=g)


def java_murmur2_partition(key, partitions):
    """Kafka's Java default partitioner for a keyed record: murmur2(key) & 0x7fffffff % partitions."""
    data = key.encode("utf-8")
    length = len(data)
    m, r = 0x5bd1e995, 24
    h = (0x9747b28c ^ length) & 0xffffffff
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> r
        k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff
        h ^= k
    rest = length % 4
    tail = length - rest
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return (h & 0x7fffffff) % partitions


def test_a_run_publishes_contract_events_in_order_on_the_java_partition(bootstrap, contract, read_topic, run_id):
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=bootstrap, num_classes=3, control="auto",
                         config={"dataset": "random", "batchSize": 32}, max_decays=2, min_learning_rate=1e-6)
    x, y = batch()
    for step in range(12):
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        tw.step(loss, logits=out, targets=y, epoch=step // 6)
        opt.step()
        opt.zero_grad()
    tw.validation(loss=0.9, accuracy=0.5, train_loss=torch.tensor(0.8))
    report = tw.finish()
    assert report.status == "completed" and report.lost == 0 and report.unsent == 0

    reader = read_topic("training.events", run_id)
    records = reader.read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    for r in records:
        contract.check_event(strip(r))
    types = [r["type"] for r in records]
    assert types == ["run-started"] + ["step"] * 12 + ["validation", "run-finished"]
    assert {r["_partition"] for r in records} == {java_murmur2_partition(run_id, 6)}

    started = records[0]
    assert started["control"] == {"mode": "auto", "maxDecays": 2, "minLearningRate": 1e-6}
    config = started["config"]
    assert config["numClasses"] == 3 and config["lossFunction"] == "cross-entropy"
    assert config["optimizer"] == "adam" and config["learningRate"] == 1e-3
    assert config["dataset"] == "random" and config["batchSize"] == 32
    assert [(l["name"], l["type"], l.get("nIn"), l.get("nOut")) for l in config["layers"]] == [
        ("0", "Linear", 8, 16), ("2", "Linear", 16, 16), ("4", "Linear", 16, 3)]
    assert started["backend"].startswith("PyTorch ")

    steps = records[1:13]
    assert [s["step"] for s in steps] == list(range(12))
    assert [s["epoch"] for s in steps] == [0] * 6 + [1] * 6
    for s in steps:
        assert set(s["layerGradientNorms"]) == {"0", "2", "4"}
        assert s["learningRate"] == 1e-3
        assert 0 <= s["accuracy"] <= 1 and s["stepMillis"] > 0 and s["examplesPerSecond"] > 0
    # parameter norms and update ratios every 10 optimizer steps by default: steps 0 and 10
    assert [s["step"] for s in steps if "updateRatios" in s] == [0, 10]
    validation = records[13]
    assert validation["step"] == 11 and validation["epoch"] == 1
    assert validation["validationLoss"] == 0.9 and validation["trainLoss"] == pytest.approx(0.8)
    finished = records[14]
    assert finished["status"] == "completed" and finished["step"] == 11 and finished["droppedEvents"] == 0


@pytest.mark.parametrize("order", ["before-optimizer-step", "after-optimizer-step"])
def test_per_layer_norms_equal_those_computed_by_hand(bootstrap, read_topic, run_id, order):
    torch.manual_seed(3)
    model = Nested()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9)
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=bootstrap, num_classes=3, param_every=1)
    assert tw.layers.names == ["root", "stem", "block.0", "block.2", "head"]
    layer_params = {"root": [model.scale], "stem": [model.stem.weight, model.stem.bias],
                    "block.0": [model.block[0].weight, model.block[0].bias],
                    "block.2": [model.block[2].weight, model.block[2].bias],
                    "head": [model.head.weight, model.head.bias]}
    expected = []
    x, y = batch(features=8)
    for step in range(4):
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        grads = {n: math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in ps)) for n, ps in layer_params.items()}
        before = {n: [p.detach().clone().double() for p in ps] for n, ps in layer_params.items()}
        if order == "before-optimizer-step":
            tw.step(loss, logits=out, targets=y)
            opt.step()
        else:
            opt.step()
            tw.step(loss, logits=out, targets=y)
        opt.zero_grad()
        param = {n: math.sqrt(sum(float(b.pow(2).sum()) for b in bs)) for n, bs in before.items()}
        update = {n: math.sqrt(sum(float((p.detach().double() - b).pow(2).sum()) for p, b in zip(layer_params[n], bs)))
                  for n, bs in before.items()}
        correct = int((out.argmax(1) == y).sum())
        expected.append((float(loss), correct / len(y), grads, param, {n: update[n] / param[n] for n in param}))
    tw.finish()

    steps = [r for r in read_topic("training.events", run_id).read_until(
        lambda rs: any(r["type"] == "run-finished" for r in rs)) if r["type"] == "step"]
    assert len(steps) == 4
    for s, (loss, accuracy, grads, param, ratios) in zip(steps, expected):
        assert s["loss"] == pytest.approx(loss, rel=1e-6)
        assert s["accuracy"] == accuracy
        assert list(s["layerGradientNorms"]) == ["root", "stem", "block.0", "block.2", "head"]
        for name in grads:
            assert s["layerGradientNorms"][name] == pytest.approx(grads[name], rel=1e-5)
            assert s["parameterNorms"][name] == pytest.approx(param[name], rel=1e-5)
            assert s["updateRatios"][name] == pytest.approx(ratios[name], rel=1e-4)
        assert s["gradientNorm"] == pytest.approx(math.sqrt(sum(g * g for g in grads.values())), rel=1e-5)
        assert "frozen" not in s["layerGradientNorms"]


def test_nan_and_infinity_are_published_not_raised(bootstrap, contract, read_topic, run_id):
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=bootstrap, num_classes=3)
    x, y = batch()
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    tw.step(loss, logits=out, targets=y)
    opt.step()
    opt.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, y) * float("inf")     # inf loss, inf/nan gradients
    loss.backward()
    tw.step(loss, logits=out, targets=y)
    opt.step()                                        # parameters become NaN
    opt.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    tw.step(loss, logits=out, targets=y)
    report = tw.finish()
    assert report.status == "diverged"

    records = read_topic("training.events", run_id).read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    for r in records:
        contract.check_event(strip(r))
    steps = [r for r in records if r["type"] == "step"]
    assert isinstance(steps[0]["loss"], float)
    assert steps[1]["loss"] == "Infinity" and '"loss":"Infinity"' in steps[1]["_raw"]
    assert steps[1]["gradientNorm"] in ("Infinity", "NaN")
    assert steps[2]["loss"] == "NaN" and '"loss":"NaN"' in steps[2]["_raw"]
    assert set(steps[2]["layerGradientNorms"].values()) == {"NaN"}
    finished = records[-1]
    assert finished["status"] == "diverged" and finished["reason"] == "loss is NaN at step 2"


def test_sample_every_publishes_every_nth_step_with_parameter_norms_on_published_steps(bootstrap, contract,
                                                                                        read_topic, run_id):
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=bootstrap, num_classes=3, sample_every=3,
                         param_every=2)
    x, y = batch()
    for _ in range(10):
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        tw.step(loss, logits=out, targets=y)       # after the optimizer's step, this time
        opt.zero_grad()
    tw.finish()
    records = read_topic("training.events", run_id).read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    for r in records:
        contract.check_event(strip(r))
    steps = [r for r in records if r["type"] == "step"]
    assert [s["step"] for s in steps] == [0, 3, 6, 9]
    assert [s["step"] for s in steps if "updateRatios" in s] == [0, 6]
    assert records[-1]["step"] == 9
