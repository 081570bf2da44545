"""Train a small PyTorch model on scikit-learn's bundled digits (8x8 images, 10 classes, no download) and
watch it with Trainwatch: each --pathology shows one diagnosis of the monitor and the tuner's reaction.

    ./trainwatch up                                   # broker, monitor and tuner on this machine
    pip install ./clients/python                      # or PYTHONPATH=clients/python/src
    python3 examples/pytorch/train_digits.py                          # healthy: no alert
    python3 examples/pytorch/train_digits.py --pathology plateau      # Adam's rate cut 1000x at step 30
    python3 examples/pytorch/train_digits.py --pathology vanishing    # 10 sigmoid layers, tiny init
    python3 examples/pytorch/train_digits.py --pathology divergence   # a huge learning rate
    ./trainwatch alerts                               # in another terminal: the monitor's diagnoses

With --control auto (the default here) the tuner may change the learning rate or stop the run; the script
prints each change as it is applied. --control suggest only collects what the tuner would do.
"""

import argparse
import logging
import math
import os
import sys

import torch
import torch.nn.functional as F

try:
    import trainwatch
except ImportError:   # run from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python", "src"))
    import trainwatch


def load_digits(seed):
    from sklearn.datasets import load_digits as sk_digits
    data = sk_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(y), generator=g)
    x, y = x[order], y[order]
    split = int(0.8 * len(y))
    mean, std = x[:split].mean(0), x[:split].std(0) + 1e-6
    x = (x - mean) / std
    return (x[:split], y[:split]), (x[split:], y[split:])


def build(pathology, hidden):
    if pathology == "vanishing":
        layers, width = [], 64
        for i in range(10):
            layers += [torch.nn.Linear(64 if i == 0 else width, width), torch.nn.Sigmoid()]
        layers.append(torch.nn.Linear(width, 10))
        model = torch.nn.Sequential(*layers)
        for m in model:
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.normal_(m.weight, 0.0, 0.05)
                torch.nn.init.zeros_(m.bias)
        return model, torch.optim.SGD(model.parameters(), lr=0.1)
    model = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                                torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    if pathology == "divergence":
        return model, torch.optim.SGD(model.parameters(), lr=50.0)
    if pathology == "plateau":
        return model, torch.optim.Adam(model.parameters(), lr=5e-3)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        out = model(x)
        loss = F.cross_entropy(out, y).item()
        accuracy = (out.argmax(1) == y).float().mean().item()
    model.train()
    return loss, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pathology", choices=["none", "plateau", "vanishing", "divergence"], default="none")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--control", choices=["auto", "suggest", "off"], default="auto")
    parser.add_argument("--run-id")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--decay-at", type=int, default=30, help="plateau: the step of the too-early decay")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step-delay", type=float, default=0.01,
                        help="seconds to sleep per step (default 0.01): these tiny models train a whole run in about a "
                             "second, faster than the monitor and the tuner answer (0 for full speed)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    torch.manual_seed(args.seed)
    (x, y), (vx, vy) = load_digits(args.seed)
    model, opt = build(args.pathology, args.hidden)
    scheduler = None
    if args.pathology == "plateau":
        # one decay x0.001 after a handful of steps: training stalls far from where it would get
        scheduler = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[args.decay_at], gamma=0.001)
    run_id = args.run_id or "digits-%s-%s" % (args.pathology, os.urandom(3).hex())
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=args.bootstrap, num_classes=10, control=args.control,
                         config={"dataset": "sklearn-digits", "batchSize": args.batch_size, "epochs": args.epochs,
                                 "seed": args.seed, "scenario": args.pathology})
    print("run %s: %s, %s, control=%s, broker %s" % (run_id, args.pathology, type(opt).__name__, args.control,
                                                     args.bootstrap))
    import time
    with tw:
        g = torch.Generator().manual_seed(args.seed)
        step = 0
        for epoch in range(args.epochs):
            order = torch.randperm(len(y), generator=g)
            for i in range(0, len(y) - args.batch_size + 1, args.batch_size):
                idx = order[i:i + args.batch_size]
                out = model(x[idx])
                loss = F.cross_entropy(out, y[idx])
                loss.backward()
                before = opt.param_groups[0]["lr"]
                tw.step(loss, logits=out, targets=y[idx], epoch=epoch)
                if opt.param_groups[0]["lr"] != before:
                    print("  step %d: the tuner set the learning rate %g -> %g" % (step, before,
                                                                                   opt.param_groups[0]["lr"]))
                opt.step()
                opt.zero_grad()
                if scheduler is not None:
                    scheduler.step()
                step += 1
                if args.step_delay:
                    time.sleep(args.step_delay)
                if tw.should_stop:
                    break
            val_loss, val_acc = evaluate(model, vx, vy)
            tw.validation(loss=val_loss, accuracy=val_acc)
            print("epoch %2d  step %4d  train loss %-8s  val loss %-8s  val acc %.3f  lr %g" % (
                epoch, step, "%.4f" % loss.item() if math.isfinite(loss.item()) else loss.item(),
                "%.4f" % val_loss if math.isfinite(val_loss) else val_loss, val_acc, opt.param_groups[0]["lr"]))
            if tw.should_stop:
                print("  the tuner stopped the run")
                break
        for s in tw.suggestions:
            print("  the tuner suggested: %s %s (%s)" % (s.type, "" if s.learning_rate is None else s.learning_rate,
                                                         s.reason))
    report = tw.report
    print("finished: %s, %d events sent, %d lost, %d not sent in time" % (report.status, report.delivered, report.lost,
                                                                         report.unsent))


if __name__ == "__main__":
    main()
