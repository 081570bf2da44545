"""End to end with the real stack: a PyTorch job with control="auto" reaches a plateau, monitor-service
alerts, tuner-service sends set-learning-rate, the job applies and confirms it.

The broker is the session's LocalKafka; monitor-service and tuner-service run from their built jars
(<repo>/<module>/target/quarkus-app/quarkus-run.jar, packaged earlier in the same `mvn verify`: this module
comes after them in the reactor) on free ports, with their logs and state under a temporary directory.
"""

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest
import torch
import torch.nn.functional as F

import trainwatch
from conftest import REPO, free_port

pytestmark = [pytest.mark.stack]

SERVICES = ("monitor-service", "tuner-service")


class Service:
    def __init__(self, module, bootstrap, home):
        jar = os.path.join(REPO, module, "target", "quarkus-app", "quarkus-run.jar")
        if not os.path.isfile(jar):
            raise RuntimeError("%s is missing: build it with `mvn -B -pl %s -am package -DskipTests` (or run "
                               "the whole `mvn -B verify`)" % (jar, module))
        self.module = module
        self.port = free_port()
        self.log_path = os.path.join(home, module + ".log")
        cmd = [shutil.which("java") or "java", "-Xmx512m", "-Dquarkus.http.host=127.0.0.1",
               "-Dquarkus.http.port=%d" % self.port]
        if module == "monitor-service":
            cmd.append("-Dtrainwatch.monitor.streams.state-dir=" + os.path.join(home, "monitor-state"))
        cmd += ["-jar", jar]
        env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=bootstrap)
        env.pop("TRAINWATCH_API_TOKEN", None)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(cmd, cwd=home, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)

    def await_ready(self, deadline):
        url = "http://127.0.0.1:%d/q/health/ready" % self.port
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("%s exited with %s:\n%s" % (self.module, self.process.returncode, self.tail()))
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("%s not ready in time:\n%s" % (self.module, self.tail()))
            time.sleep(0.5)

    def tail(self):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-40:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def stack(bootstrap):
    home = tempfile.mkdtemp(prefix="trainwatch-py-stack-")
    services = []
    try:
        for module in SERVICES:
            services.append(Service(module, bootstrap, home))
        deadline = time.monotonic() + 240
        for s in services:
            s.await_ready(deadline)
        yield {s.module: s for s in services}
    finally:
        for s in services:
            s.stop()
        shutil.rmtree(home, ignore_errors=True)


def digits_with_noisy_labels():
    """sklearn's digits with 30 % of the labels replaced at random: a 4-unit MLP falls 25-30 % from its
    first loss within a few hundred steps and then stays near 1.5, far from converged: a plateau."""
    from sklearn.datasets import load_digits
    data = load_digits()
    g = torch.Generator().manual_seed(0)
    x = torch.tensor(data.data, dtype=torch.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    y = torch.tensor(data.target)
    noisy = torch.rand(len(y), generator=g) < 0.3
    y = torch.where(noisy, torch.randint(0, 10, (len(y),), generator=g), y)
    split = int(0.8 * len(y))
    return (x[:split], y[:split]), (x[split:], y[split:]), g


def test_a_plateau_is_diagnosed_and_the_tuner_decays_the_rate_of_a_pytorch_job(stack, bootstrap, read_topic, run_id):
    (x, y), (vx, vy), g = digits_with_noisy_labels()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 4), torch.nn.ReLU(), torch.nn.Linear(4, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tw = trainwatch.init(model, opt, run_id=run_id, bootstrap=bootstrap, num_classes=10, control="auto",
                         config={"dataset": "sklearn-digits-noisy-labels", "batchSize": 64})
    applied_at = None
    deadline = time.monotonic() + 240
    step = 0
    with tw:
        while time.monotonic() < deadline and step < 4000:
            idx = torch.randint(0, len(y), (64,), generator=g)
            out = model(x[idx])
            loss = F.cross_entropy(out, y[idx])
            loss.backward()
            tw.step(loss, logits=out, targets=y[idx], epoch=step // 20)
            opt.step()
            opt.zero_grad()
            if applied_at is None and opt.param_groups[0]["lr"] != 0.1:
                applied_at = step
            if applied_at is not None and step >= applied_at + 20 or tw.should_stop:
                break
            if step % 50 == 49:
                with torch.no_grad():
                    tw.validation(loss=F.cross_entropy(model(vx), vy))
            step += 1
            time.sleep(0.005)     # a few ms per step, as a real job: the monitor and tuner keep up
    assert applied_at is not None, "the rate never changed in %d steps (monitor log:\n%s)" % (
        step, stack["monitor-service"].tail())

    alerts = read_topic("training.alerts", run_id).read_until(lambda rs: any(r["detector"] == "plateau" for r in rs))
    plateau = next(r for r in alerts if r["detector"] == "plateau")
    commands = read_topic("tuner.commands", run_id).read_until(
        lambda rs: any(r["type"] == "set-learning-rate" for r in rs))
    decay = next(r for r in commands if r["type"] == "set-learning-rate")
    assert decay.get("mode", "apply") == "apply" and decay.get("alertId") == plateau["alertId"]
    assert decay["learningRate"] == pytest.approx(0.01)
    assert opt.param_groups[0]["lr"] == decay["learningRate"]
    events = read_topic("training.events", run_id).read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    applied = [r for r in events if r["type"] == "command-applied"]
    assert applied and applied[0]["commandId"] == decay["commandId"] and applied[0]["step"] == applied_at
    assert applied[0]["details"]["previousLearningRate"] == 0.1
