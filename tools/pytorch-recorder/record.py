#!/usr/bin/python3
"""Records small PyTorch training runs as Trainwatch contract JSON lines (one event a line).

The monitor's quality suite replays them as runs from a third framework (source `pytorch`, and `pytorch-holdout`
for the `pytorch-ho-*` runs, which no rule is tuned on). Every run's label is written in RUNS below, decided from
the run's design before any detector was changed; `label.py` only computes the onset step from the numbers.

Usage (Debian's python3-torch 1.13 and python3-sklearn; no download: sklearn's digits are bundled):
    /usr/bin/python3 tools/pytorch-recorder/record.py [--out DIR] [names...]
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits, make_classification

torch.set_num_threads(1)

T0 = 1_796_000_000.0  # a fixed clock: timestamps advance 10 ms a step, so a re-recording gives the same file


def sig(x, digits=4):
    """A float rounded to `digits` significant digits; NaN and infinities as the contract's strings."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return 0.0
    return float(f"{x:.{digits - 1}e}")


# ---------------------------------------------------------------- data

def digits(seed, train=None, scale=1.0):
    """Pixels in [0, 1] (x scale: 16 gives the raw 0..16 intensities, unnormalised input)."""
    d = load_digits()
    x = (d.data / 16.0 * scale).astype(np.float32)
    y = d.target.astype(np.int64)
    rng = np.random.RandomState(seed)
    idx = rng.permutation(len(x))
    n_val = 360
    val, tr = idx[:n_val], idx[n_val:]
    if train is not None:
        tr = tr[:train]
    return x[tr], y[tr], x[val], y[val], 10, "sklearn-digits 8x8 (1797 images, 10 classes)"


def tabular(seed, classes=4, features=20, informative=8, sep=1.0, flip=0.01, samples=3000, scale=1.0):
    x, y = make_classification(n_samples=samples, n_features=features, n_informative=informative,
                               n_redundant=2, n_classes=classes, n_clusters_per_class=2, class_sep=sep,
                               flip_y=flip, random_state=seed)
    x = ((x - x.mean(0)) / x.std(0) * scale).astype(np.float32)  # standardised (x scale: unnormalised)
    y = y.astype(np.int64)
    n_val = samples // 4
    return (x[n_val:], y[n_val:], x[:n_val], y[:n_val], classes,
            f"sklearn make_classification ({samples} samples, {features} features, {classes} classes, sep {sep})")


DATA = {"digits": digits, "tabular": tabular}


# ---------------------------------------------------------------- models

def mlp(n_in, hidden, n_out, act="relu"):
    layers, specs, prev = [], [], n_in
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    for i, h in enumerate(hidden):
        layers += [nn.Linear(prev, h), acts[act]()]
        specs.append({"name": f"fc{i + 1}", "type": "dense", "nIn": prev, "nOut": h, "activation": act,
                      "weightInit": "kaimingUniform(a=sqrt 5)"})
        prev = h
    layers.append(nn.Linear(prev, n_out))
    specs.append({"name": f"fc{len(hidden) + 1}", "type": "output", "nIn": prev, "nOut": n_out,
                  "activation": "softmax", "weightInit": "kaimingUniform(a=sqrt 5)"})
    return nn.Sequential(*layers), specs


def linear_layers(model):
    return [m for m in model if isinstance(m, nn.Linear)]


# ---------------------------------------------------------------- runs
# label: the pathology the run was designed to show ("healthy" for none), decided here before any rule change;
# allowed: detectors that may fire beside it (the consequence the design also implies).

RUNS = {
    # --- tuning set
    "healthy-digits-adam-s1": dict(data="digits", hidden=[64, 32], opt="adam", lr=1e-3, steps=1500, seed=1,
                                   label="healthy"),
    "healthy-digits-sgdm-step-s2": dict(data="digits", hidden=[64], opt="momentum", lr=0.05, steps=1500, seed=2,
                                        schedule=dict(type="step", every=500, factor=0.5), label="healthy"),
    "healthy-tabular-sgd-exp-s3": dict(data="tabular", hidden=[64, 64], opt="sgd", lr=0.1, steps=1500, seed=3,
                                       schedule=dict(type="exponential", gamma=0.9995), label="healthy"),
    "healthy-long-digits-adam-s4": dict(data="digits", hidden=[64, 32], opt="adam", lr=1e-3, steps=20000, seed=4,
                                        validate_every=500, label="healthy"),
    "healthy-long-tabular-sgdm-step-s5": dict(data="tabular", hidden=[64], opt="momentum", lr=0.02, steps=20000,
                                              seed=5, validate_every=500,
                                              schedule=dict(type="step", every=5000, factor=0.5), label="healthy"),
    # added after the first rule changes, when the two long runs above turned out to overfit (label.py): more data
    "healthy-long-bigtab-adam-s7": dict(data="tabular", data_args=dict(samples=20000, sep=1.5), hidden=[64],
                                        opt="adam", lr=1e-3, wd=1e-4, steps=20000, seed=7, validate_every=500,
                                        label="healthy"),
    "healthy-long-bigtab-sgdm-exp-s8": dict(data="tabular", data_args=dict(samples=20000, sep=1.5, classes=3),
                                            hidden=[64, 32], opt="momentum", lr=0.01, steps=20000, seed=8,
                                            validate_every=500, schedule=dict(type="exponential", gamma=0.9999),
                                            label="healthy"),
    "explode-early-sgd-s1": dict(data="digits", data_args=dict(scale=16.0), hidden=[128, 64], opt="sgd", lr=0.5,
                                 steps=400, seed=1, label="exploding-gradients",
                                 allowed="divergence;vanishing-gradients"),
    "explode-early-momentum-s2": dict(data="tabular", data_args=dict(scale=10.0), hidden=[128, 128],
                                      opt="momentum", lr=0.3, steps=400, seed=2, label="exploding-gradients",
                                      allowed="divergence;vanishing-gradients"),
    "explode-early-sgd-s3": dict(data="digits", data_args=dict(scale=16.0), hidden=[128, 64], opt="sgd", lr=1.0,
                                 steps=400, seed=2, label="exploding-gradients",
                                 allowed="divergence;vanishing-gradients"),
    "overfit-valloss-s1": dict(data="tabular", data_args=dict(sep=2.5, flip=0.0, samples=1200, classes=3),
                               hidden=[256, 256], opt="adam", lr=2e-3, steps=3000, seed=1, validate_every=50,
                               label="overfitting"),
    "overfit-valloss-digits-s2": dict(data="digits", data_args=dict(train=300), hidden=[256, 256], opt="adam",
                                      lr=1e-3, steps=3000, seed=2, validate_every=50, label="overfitting"),
    "underfit-linear-tabular-s1": dict(data="tabular", data_args=dict(classes=5, sep=1.2), hidden=[], opt="adam",
                                       lr=0.01, steps=1500, seed=1, label="underfitting", allowed="plateau"),
    "underfit-weightdecay-s1": dict(data="digits", hidden=[64], opt="sgd", lr=0.1, wd=0.06, steps=2000, seed=1,
                                    label="underfitting", allowed="plateau"),
    "healthy-tabular-sgdm-s6": dict(data="tabular", data_args=dict(sep=2.2, flip=0.0, samples=1200, classes=2,
                                                                   informative=6),
                                    hidden=[256], opt="momentum", lr=0.05, steps=3000, seed=4, validate_every=50,
                                    label="healthy"),
    "range-test-digits-s1": dict(data="digits", hidden=[64], opt="sgd", lr=1e-5, steps=300, seed=1,
                                 schedule=dict(type="range", **{"from": 1e-5, "to": 30.0, "steps": 300}),
                                 stop_on_divergence=True, label="healthy",
                                 allowed="divergence;exploding-gradients"),
    # --- holdout: recorded with the set above, never looked at while changing a rule
    "ho-healthy-digits-sgdm-s11": dict(data="digits", hidden=[128], opt="momentum", lr=0.02, steps=2000, seed=11,
                                       label="healthy"),
    "ho-healthy-tabular-adam-exp-s12": dict(data="tabular", hidden=[128, 64], opt="adam", lr=3e-3, steps=2000,
                                            seed=12, schedule=dict(type="exponential", gamma=0.999),
                                            label="healthy"),
    "ho-healthy-long-digits-sgd-s13": dict(data="digits", hidden=[64], opt="sgd", lr=0.1, steps=20000, seed=13,
                                           validate_every=500, label="healthy"),
    "ho-explode-early-sgd-s11": dict(data="tabular", data_args=dict(scale=10.0), hidden=[64, 64], opt="sgd",
                                     lr=1.5, steps=400, seed=11, label="exploding-gradients",
                                     allowed="divergence;vanishing-gradients"),
    "ho-explode-early-momentum-s12": dict(data="digits", data_args=dict(scale=16.0), hidden=[256], opt="momentum",
                                          lr=0.2, steps=400, seed=3, label="exploding-gradients",
                                          allowed="divergence;vanishing-gradients"),
    "ho-overfit-valloss-s12": dict(data="tabular", data_args=dict(sep=2.5, flip=0.0, samples=1000, classes=3),
                                   hidden=[512], opt="adam", lr=3e-3, steps=3000, seed=12, validate_every=50,
                                   label="overfitting"),
    "ho-underfit-linear-tabular-s11": dict(data="tabular", data_args=dict(sep=1.5, informative=10, classes=6),
                                           hidden=[], opt="sgd", lr=0.1, steps=2000, seed=11,
                                           label="underfitting", allowed="plateau"),
    "ho-underfit-weightdecay-s12": dict(data="tabular", hidden=[128], opt="adam", lr=3e-3, wd=0.05, steps=2000,
                                        seed=12, label="underfitting", allowed="plateau"),
    "ho-range-test-tabular-s11": dict(data="tabular", hidden=[64, 64], opt="adam", lr=1e-6, steps=300, seed=11,
                                      schedule=dict(type="range", **{"from": 1e-6, "to": 10.0, "steps": 300}),
                                      stop_on_divergence=True, label="healthy",
                                      allowed="divergence;exploding-gradients"),
}


def lr_at(spec, step):
    s = spec.get("schedule")
    lr = spec["lr"]
    if not s:
        return lr
    if s["type"] == "step":
        return lr * s["factor"] ** (step // s["every"])
    if s["type"] == "exponential":
        return lr * s["gamma"] ** step
    if s["type"] == "range":
        return s["from"] * (s["to"] / s["from"]) ** (step / max(1, s["steps"] - 1))
    raise ValueError(s)


def record(name, spec, out_dir):
    seed = spec["seed"]
    torch.manual_seed(seed)
    xtr, ytr, xva, yva, classes, dataset = DATA[spec["data"]](seed, **spec.get("data_args", {}))
    xtr, ytr, xva, yva = map(torch.from_numpy, (xtr, ytr, xva, yva))
    model, specs = mlp(xtr.shape[1], spec["hidden"], classes)
    wd = spec.get("wd", 0.0)
    opt_name = spec["opt"]
    if opt_name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=spec["lr"], weight_decay=wd)
    elif opt_name == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=spec["lr"], momentum=0.9, weight_decay=wd)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=spec["lr"], weight_decay=wd)
    loss_fn = nn.CrossEntropyLoss()
    batch = spec.get("batch", 32)
    steps = spec["steps"]
    validate_every = spec.get("validate_every", 50)
    steps_per_epoch = len(xtr) // batch  # the last partial batch is dropped
    run_id = "pytorch-" + name
    events = []
    clock = [T0]

    def ts():
        clock[0] += 0.01
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(clock[0])) + f".{int(clock[0] * 1000) % 1000:03d}Z"

    config = {"scenario": name.rsplit("-s", 1)[0], "dataset": dataset, "numClasses": classes,
              "lossFunction": "cross-entropy", "layers": specs,
              "optimizer": {"adam": "adam", "momentum": "sgd-momentum", "sgd": "sgd"}[opt_name],
              "learningRate": spec["lr"], "batchSize": batch, "epochs": math.ceil(steps / steps_per_epoch),
              "l2": wd, "dropout": 0, "seed": seed}
    if spec.get("schedule"):
        config["schedule"] = spec["schedule"]
    events.append({"schemaVersion": 1, "runId": run_id, "timestamp": ts(), "type": "run-started", "config": config,
                   "backend": f"pytorch {torch.__version__} (cpu)", "device": "cpu"})
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(xtr), generator=gen)
    linears = linear_layers(model)
    status, reason, last = "completed", f"reached {steps} steps", steps - 1
    for step in range(steps):
        epoch = step // steps_per_epoch
        pos = step % steps_per_epoch
        if pos == 0 and step > 0:
            perm = torch.randperm(len(xtr), generator=gen)
        idx = perm[pos * batch:(pos + 1) * batch]
        lr = lr_at(spec, step)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        opt.zero_grad()
        out = model(xtr[idx])
        loss = loss_fn(out, ytr[idx])
        loss.backward()
        acc = (out.argmax(1) == ytr[idx]).float().mean().item()
        grads, params, before = {}, {}, []
        total = 0.0
        for i, m in enumerate(linears):
            g2 = sum(float(p.grad.pow(2).sum()) for p in (m.weight, m.bias))
            total += g2
            grads[specs[i]["name"]] = math.sqrt(g2)
            params[specs[i]["name"]] = math.sqrt(sum(float(p.detach().pow(2).sum()) for p in (m.weight, m.bias)))
            before.append([p.detach().clone() for p in (m.weight, m.bias)])
        opt.step()
        ratios = {}
        for i, m in enumerate(linears):
            d2 = sum(float((p.detach() - b).pow(2).sum()) for p, b in zip((m.weight, m.bias), before[i]))
            pn = params[specs[i]["name"]]
            ratios[specs[i]["name"]] = math.sqrt(d2) / pn if pn > 0 else float("nan")
        lv = loss.item()
        events.append({"schemaVersion": 1, "runId": run_id, "timestamp": ts(), "type": "step", "step": step,
                       "epoch": epoch, "loss": sig(lv, 5), "accuracy": sig(acc, 4), "learningRate": sig(lr, 5),
                       "gradientNorm": sig(math.sqrt(total)),
                       "layerGradientNorms": {k: sig(v) for k, v in grads.items()},
                       "parameterNorms": {k: sig(v) for k, v in params.items()},
                       "updateRatios": {k: sig(v) for k, v in ratios.items()}})
        if not math.isfinite(lv) and spec.get("stop_on_divergence", True):
            status, reason, last = "diverged", f"non-finite loss at step {step}", step
            break
        if spec.get("stop_on_divergence") and spec.get("schedule", {}).get("type") == "range" and step > 10:
            # a range test stops once the loss is 4x its best (fast.ai's lr_find rule)
            best = min(e["loss"] for e in events[1:] if e["type"] == "step" and isinstance(e["loss"], float))
            if lv > 4 * best:
                status, reason, last = "completed", f"range test ended: loss {lv:.3g} > 4x best {best:.3g}", step
                break
        if (step + 1) % validate_every == 0:
            model.eval()
            with torch.no_grad():
                tr_out = model(xtr)
                va_out = model(xva)
                events.append({"schemaVersion": 1, "runId": run_id, "timestamp": ts(), "type": "validation",
                               "step": step, "epoch": epoch,
                               "trainLoss": sig(loss_fn(tr_out, ytr).item(), 5),
                               "validationLoss": sig(loss_fn(va_out, yva).item(), 5),
                               "trainAccuracy": sig((tr_out.argmax(1) == ytr).float().mean().item(), 4),
                               "validationAccuracy": sig((va_out.argmax(1) == yva).float().mean().item(), 4)})
    events.append({"schemaVersion": 1, "runId": run_id, "timestamp": ts(), "type": "run-finished", "status": status,
                   "reason": reason, "step": last, "droppedEvents": 0})
    path = os.path.join(out_dir, f"pytorch-{name}.jsonl.gz")
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        for e in events:
            f.write((json.dumps(e, separators=(",", ":")) + "\n").encode())
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.names or RUNS:
        t = time.time()
        path = record(name, RUNS[name], a.out)
        print(f"{name}: {os.path.getsize(path)} bytes, {time.time() - t:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
