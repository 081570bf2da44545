"""torch.distributed (gloo, two processes on this machine): rank 0 publishes, every rank changes its rate
at the same step."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import HERE, free_port, send, strip

SRC = os.path.abspath(os.path.join(HERE, "..", "src"))
STEPS = 250
SYNC_EVERY = 5

RANK_SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, %(src)r)
    import torch, torch.distributed as dist, trainwatch
    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo", rank=rank, world_size=2)
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(
        torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tw = trainwatch.init(model, opt, bootstrap=%(bootstrap)r, num_classes=2, control="auto",
                         ranks=%(ranks)r, sync_every=%(sync)d)
    if rank == 0:
        assert tw.listener.ready.wait(30)
        with open(%(ready)r + ".tmp", "w") as f:
            f.write(tw.run_id)
        os.rename(%(ready)r + ".tmp", %(ready)r)
    g = torch.Generator().manual_seed(rank)
    x, y = torch.randn(16, 4, generator=g), torch.randint(0, 2, (16,), generator=g)
    rates = []
    for step in range(%(steps)d):
        out = model(x)
        loss = torch.nn.functional.cross_entropy(out, y)
        loss.backward()
        tw.step(loss, logits=out, targets=y)
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        opt.zero_grad()
        time.sleep(0.02)
    tw.finish()
    with open(%(out)r %% rank, "w") as f:
        json.dump({"runId": tw.run_id, "rates": rates, "layers": tw.layers.names}, f)
    dist.destroy_process_group()
""")


@pytest.mark.parametrize("ranks", ["zero", "all"])
def test_commands_reach_every_rank_at_the_same_step(bootstrap, contract, read_topic, tmp_path, ranks):
    ready = str(tmp_path / "ready")
    out = str(tmp_path / "rank-%d.json")
    script = RANK_SCRIPT % {"src": SRC, "bootstrap": bootstrap, "ranks": ranks, "sync": SYNC_EVERY,
                            "ready": ready, "steps": STEPS, "out": out}
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), WORLD_SIZE="2")
    procs = [subprocess.Popen([sys.executable, "-c", script], env=dict(env, RANK=str(r)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for r in range(2)]
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(ready):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), \
                [p.communicate()[0] for p in procs if p.poll() is not None]
            time.sleep(0.05)
        run_id = open(ready).read()
        send(bootstrap, "tuner.commands", run_id, {"schemaVersion": 1, "commandId": "c-1", "runId": run_id,
                                                     "type": "set-learning-rate", "learningRate": 0.01,
                                                     "reason": "test"})
        for p in procs:
            output = p.communicate(timeout=120)[0]
            assert p.returncode == 0, output
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()

    results = [json.load(open(out % r)) for r in range(2)]
    assert results[0]["runId"] == results[1]["runId"] == run_id       # rank 0's generated id, broadcast
    assert results[0]["layers"] == ["0", "2"]                         # names inside DDP, without "module."
    rates = results[0]["rates"]
    assert results[1]["rates"] == rates
    changed_at = rates.index(0.01)
    assert changed_at % SYNC_EVERY == 0 and set(rates[changed_at:]) == {0.01}

    records = read_topic("training.events", run_id).read_until(
        lambda rs: sum(r["type"] == "run-finished" for r in rs) == (1 if ranks == "zero" else 2))
    for r in records:
        contract.check_event(strip(r))
    steps = [r for r in records if r["type"] == "step"]
    applied = [r for r in records if r["type"] == "command-applied"]
    assert len(applied) == 1 and applied[0]["step"] == changed_at
    if ranks == "zero":
        assert len(steps) == STEPS and all("rank" not in r for r in records)
    else:
        assert len(steps) == 2 * STEPS
        assert sorted((r["rank"], r["worldSize"]) for r in records if r["type"] == "run-started") == [(0, 2), (1, 2)]
        assert {r["step"] for r in steps if r["rank"] == 1 and r["learningRate"] == 0.01} == set(range(changed_at, STEPS))
