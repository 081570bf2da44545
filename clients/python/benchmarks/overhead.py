"""Step time with and without trainwatch, on a small MLP and a small CNN on CPU: prints figures.

ABBA blocks (A = the bare loop, B = the same loop with tw.step), so that drifting machine load hits
both alike: the median wall-clock step time of each and their ratio; the median process CPU time per step
of the blocks (all threads); and trainwatch's own CPU: the median CPU time of a tw.step call on the training
thread plus the CPU of trainwatch's threads (producer, command listener, librdkafka's) per step, as a share of the
bare step's CPU. On a machine shared with other jobs the last figure is the steadiest. With --bootstrap it publishes to that broker,
else it starts the local-kafka broker on free ports (built by `mvn -pl events,local-kafka -am package`).

    /usr/bin/python3 clients/python/benchmarks/overhead.py [--rounds 20] [--block 20] [--sample-every 1] [--models mlp,cnn]
"""

import argparse
import copy
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import trainwatch  # noqa: E402


def trainwatch_threads_cpu(tw):
    """CPU seconds of trainwatch's threads: its producer and command listener, and librdkafka's (rdk:*).
    (PyTorch has threads of its own that work during every step; they are not counted.)"""
    ours = {tw.publisher._thread.native_id, tw.listener._thread.native_id}
    total = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/comm" % tid) as f:
                name = f.read().strip()
            if int(tid) not in ours and not name.startswith("rdk:"):
                continue
            with open("/proc/self/task/%s/stat" % tid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])    # utime, stime
        except (OSError, IndexError, ValueError):
            pass     # a thread that ended
    return total / os.sysconf("SC_CLK_TCK")


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                               torch.nn.Linear(256, 10)), (64, 64)


def cnn():
    return torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(),
                               torch.nn.Linear(64, 10)), (32, 1, 28, 28)


def bench(name, factory, bootstrap, rounds, block, param_every, sample_every):
    torch.manual_seed(0)
    model, shape = factory()
    # "without": an identical copy that trainwatch never touches (its optimizer has no probe)
    bare = copy.deepcopy(model)
    bare_opt = torch.optim.Adam(bare.parameters(), lr=1e-3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(*shape, generator=g), torch.randint(0, 10, (shape[0],), generator=g)
    tw = trainwatch.init(model, opt, bootstrap=bootstrap, num_classes=10, param_every=param_every,
                         sample_every=sample_every, config={"dataset": "benchmark-" + name})
    tw.listener.ready.wait(30)

    calls = []   # CPU time of each tw.step call on the training thread

    def run(with_tw, n, walls, cpus):
        m, o = (model, opt) if with_tw else (bare, bare_opt)
        cpu_start = time.process_time()
        for _ in range(n):
            start = time.perf_counter()
            out = m(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            if with_tw:
                c = time.thread_time()
                tw.step(loss, logits=out, targets=y)
                calls.append(time.thread_time() - c)
            o.step()
            o.zero_grad()
            walls.append(time.perf_counter() - start)
        cpus.append((time.process_time() - cpu_start) / n)

    run(False, block, [], [])
    run(True, block, [], [])   # warm-up
    calls.clear()
    background_start = trainwatch_threads_cpu(tw)
    a, b, a_cpu, b_cpu = [], [], [], []
    for _ in range(rounds):
        run(False, block, a, a_cpu)
        run(True, block, b, b_cpu)
        run(True, block, b, b_cpu)
        run(False, block, a, a_cpu)
    while tw.publisher._queue:
        time.sleep(0.01)
    time.sleep(0.2)
    background = (trainwatch_threads_cpu(tw) - background_start) / len(b)
    report = tw.finish()
    ma, mb = statistics.median(a) * 1000, statistics.median(b) * 1000
    ca, cb = statistics.median(a_cpu) * 1000, statistics.median(b_cpu) * 1000
    call = statistics.median(calls) * 1000
    print("%s: %d steps each, %d sent, %d lost" % (name, len(a), report.delivered, report.lost))
    print("  wall-clock median per step:  without %7.3f ms | with %7.3f ms | ratio %.3f" % (ma, mb, mb / ma))
    print("  process CPU per step:        without %7.3f ms | with %7.3f ms | ratio %.3f" % (ca, cb, cb / ca))
    print("  trainwatch's own CPU per step: tw.step %.1f us (median) + background threads %.1f us (mean) "
          "= %.1f%% of the bare step's CPU" % (call * 1000, background * 1e6, (call + background * 1000) / ca * 100))
    return mb / ma


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--block", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    parser.add_argument("--param-every", type=int, default=10)
    parser.add_argument("--sample-every", type=int, default=1)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    broker = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        from conftest import Broker
        broker = Broker()
        bootstrap = broker.bootstrap
    try:
        print("PyTorch %s, %d threads, param_every %d, sample_every %d, ABBA x %d rounds of %d-step blocks" % (
            torch.__version__, torch.get_num_threads(), args.param_every, args.sample_every, args.rounds, args.block))
        for name in args.models.split(","):
            bench(name, {"mlp": mlp, "cnn": cnn}[name], bootstrap, args.rounds, args.block, args.param_every,
                  args.sample_every)
    finally:
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    main()
