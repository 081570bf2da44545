"""The broker down, the interpreter exiting, the package installed with pip."""

import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import time

import torch
import torch.nn.functional as F

import trainwatch
from conftest import HERE, free_port

SRC = os.path.join(HERE, "..", "src")


def train(tw, steps, model, opt, x, y):
    """Step durations in seconds, with a trainwatch run (tw) or without (tw None)."""
    durations = []
    for _ in range(steps):
        start = time.perf_counter()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        if tw is not None:
            tw.step(loss, logits=out, targets=y)
        opt.step()
        opt.zero_grad()
        durations.append(time.perf_counter() - start)
    return durations


def mlp_job(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    return model, opt, torch.randn(128, 64, generator=g), torch.randint(0, 10, (128,), generator=g)


def test_broker_down_steps_not_slowed_drops_counted_finish_bounded(bootstrap):
    dead = "127.0.0.1:%d" % free_port()   # nothing listens there
    model, opt, x, y = mlp_job()
    train(None, 30, model, opt, x, y)  # warm-up

    up = trainwatch.init(model, opt, bootstrap=bootstrap, num_classes=10)
    down = trainwatch.init(model, opt, bootstrap=dead, num_classes=10, queue_size=100,
                           producer_config={"queue.buffering.max.messages": 50, "message.timeout.ms": 500})
    up_times, down_times = [], []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(120):     # alternate step by step, so that the machine's load hits both alike
            up_times += train(up, 1, model, opt, x, y)
            down_times += train(down, 1, model, opt, x, y)
            down_times += train(down, 1, model, opt, x, y)
            up_times += train(up, 1, model, opt, x, y)
    finally:
        torch.set_num_threads(threads)
    up_report = up.finish()
    start = time.monotonic()
    down_report = down.finish(timeout=2.0)
    waited = time.monotonic() - start

    up_median, down_median = statistics.median(up_times), statistics.median(down_times)
    # The same work per step either way: the broker's state must not show in the training loop.
    assert down_median <= 1.5 * up_median + 0.0005, (down_median, up_median)
    assert up_report.lost == 0 and up_report.unsent == 0
    assert down_report.delivered == 0
    total = 1 + 240 + 1     # run-started, steps, run-finished
    assert down.dropped > 0
    assert down_report.lost + down_report.unsent == total, down_report
    assert waited < 2.0 + 1.0, waited


def run_script(body, bootstrap, run_id):
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, %r)
        import torch, trainwatch
        model = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        tw = trainwatch.init(model, opt, run_id=%r, bootstrap=%r, num_classes=2)
        x, y = torch.randn(8, 4), torch.randint(0, 2, (8,))
        for step in range(3):
            out = model(x)
            loss = torch.nn.functional.cross_entropy(out, y)
            loss.backward()
            tw.step(loss, logits=out, targets=y)
            opt.step(); opt.zero_grad()
    """ % (os.path.abspath(SRC), run_id, bootstrap)) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_finish_runs_at_interpreter_exit_and_reports_an_uncaught_exception(bootstrap, read_topic, run_id):
    done = run_script("", bootstrap, run_id + "-a")
    assert done.returncode == 0, done.stderr
    failed = run_script("raise RuntimeError('out of memory, say')", bootstrap, run_id + "-b")
    assert failed.returncode == 1 and "out of memory, say" in failed.stderr
    with_block = run_script("""
        with tw:
            raise ValueError('bad batch')
    """, bootstrap, run_id + "-c")
    assert with_block.returncode == 1

    def finished(suffix):
        records = read_topic("training.events", run_id + suffix).read_until(
            lambda rs: any(r["type"] == "run-finished" for r in rs))
        return records[-1]

    a = finished("-a")
    assert a["status"] == "completed" and a["step"] == 2 and a["reason"] == "the process exited without finish()"
    b = finished("-b")
    assert b["status"] == "failed" and b["reason"] == "RuntimeError: out of memory, say"
    c = finished("-c")
    assert c["status"] == "failed" and c["reason"] == "ValueError: bad batch"


def test_pip_installs_the_package_into_a_venv(tmp_path):
    source = tmp_path / "source"
    root = os.path.join(HERE, "..")
    os.makedirs(source)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(root, name), source / name)
    shutil.copytree(os.path.join(root, "src"), source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                          str(source)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    where = subprocess.run([python, "-c", "import trainwatch, sys; print(trainwatch.__file__, trainwatch.__version__)"],
                           capture_output=True, text=True, cwd=str(tmp_path), check=True).stdout
    assert str(venv) in where and "0.1.0" in where
