#!/usr/bin/python3
"""Computes each recorded run's onset step from its numbers (the label itself is RUNS' own, chosen up front) and
prints the labels.csv rows; --write copies the recordings into the monitor's fixtures and replaces the rows of the
sources `pytorch` and `pytorch-holdout` in labels.csv (every other row is kept).

Onset rules (the trainer recordings' rules): exploding-gradients, the first step whose gradient norm is at least 3x
the first step's; overfitting, the step of the minimum validation loss; underfitting, the first step whose 20-step
mean loss is within 15 % of the mean of the last 150 steps; healthy, -1.

One correction by the numbers, written after the first recording: a run designed healthy whose last validation loss
is above 1.5x its minimum while its training loss fell at least 10x since that minimum is overfitting by the
definition (Keras EarlyStopping on val_loss, CS231n), whatever its design; it is relabelled `overfitting` at the
minimum (found on healthy-long-digits-adam-s4: 20,000 unregularised Adam steps on 1,437 digits, validation loss
0.096 -> 0.311, training loss -> 2e-7).
"""
import gzip
import json
import os
import shutil
import sys

sys.argv, args = sys.argv[:1], sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import record  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
FIXTURES = os.path.join(HERE, "..", "..", "monitor-service", "src", "test", "resources", "fixtures")


def onset(label, events):
    steps = [e for e in events if e["type"] == "step"]
    finite = [e for e in steps if isinstance(e["loss"], float)]
    if label == "healthy":
        return -1
    if label == "exploding-gradients":
        first = steps[0]["gradientNorm"]
        return next(e["step"] for e in steps if not isinstance(e["gradientNorm"], float)
                    or e["gradientNorm"] >= 3 * first)
    if label == "overfitting":
        vals = [e for e in events if e["type"] == "validation"]
        return min(vals, key=lambda v: v["validationLoss"])["step"]
    if label == "underfitting":
        tail = sum(e["loss"] for e in finite[-150:]) / len(finite[-150:])
        for i in range(20, len(finite)):
            mean = sum(e["loss"] for e in finite[i - 20:i]) / 20
            if abs(mean - tail) <= 0.15 * tail:
                return finite[i - 1]["step"]
    raise ValueError(label)


def overfit_by_numbers(events):
    vals = [e for e in events if e["type"] == "validation"]
    if not vals:
        return False
    best = min(vals, key=lambda v: v["validationLoss"])
    return vals[-1]["validationLoss"] > 1.5 * best["validationLoss"] and \
        vals[-1]["trainLoss"] * 10 <= best["trainLoss"]


def main():
    rows = []
    for name, spec in record.RUNS.items():
        file = f"pytorch-{name}.jsonl.gz"
        events = [json.loads(line) for line in gzip.open(os.path.join(OUT, file))]
        source = "pytorch-holdout" if name.startswith("ho-") else "pytorch"
        label, allowed = spec["label"], spec.get("allowed", "")
        if label == "healthy" and overfit_by_numbers(events):
            label, allowed = "overfitting", ""
        rows.append(f"{file},{label},{onset(label, events)},{allowed},{source}")
    print("\n".join(rows))
    if "--write" in args:
        labels = os.path.join(FIXTURES, "labels.csv")
        kept = [r for r in open(labels).read().splitlines() if not r.endswith((",pytorch", ",pytorch-holdout"))]
        with open(labels, "w") as f:
            f.write("\n".join(kept + rows) + "\n")
        for name in record.RUNS:
            shutil.copy(os.path.join(OUT, f"pytorch-{name}.jsonl.gz"), FIXTURES)


if __name__ == "__main__":
    main()
