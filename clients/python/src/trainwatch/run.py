"""One watched PyTorch training run: measures each step, publishes it, applies the tuner's commands.

Everything that touches the model or the optimizer happens on the training thread, inside ``step``;
Kafka lives on two daemon threads (``Publisher``, ``CommandListener``). Costs per step: one measurement
with a single device synchronisation (``meter``), building one dict, one ``put_nowait``; the producer
thread encodes and sends. A telemetry error is logged once and never reaches the training loop.
"""

import atexit
import collections
import logging
import math
import platform
import sys
import time
import uuid

import torch

from . import events
from .commands import CommandListener
from .meter import Layers, UpdateProbe, measure_step
from .publisher import Publisher

log = logging.getLogger("trainwatch")

FinishReport = collections.namedtuple("FinishReport", "status delivered lost unsent")
FinishReport.__doc__ = ("What finish() could do: the run's status, events delivered, events lost (dropped "
                        "or failed), events still unsent when the flush timeout ran out.")

_REMEMBERED_COMMANDS = 1024


class Run:
    """A run watched by Trainwatch. Create it with ``trainwatch.init``."""

    def __init__(self, model, optimizer, run_id=None, bootstrap="127.0.0.1:9092", num_classes=10,
                 loss="cross-entropy", control="off", *, config=None, param_every=10, sample_every=1, study_id=None,
                 trial_id=None, max_decays=None, min_learning_rate=None, allow_stop=None, ranks="zero",
                 sync_every=10, commands=True, queue_size=10000, finish_timeout=10.0, producer_config=None,
                 consumer_config=None, events_topic=events.EVENTS_TOPIC, commands_topic=events.COMMANDS_TOPIC):
        if control not in events.CONTROL_MODES:
            raise ValueError("control must be one of %s, was %r" % (events.CONTROL_MODES, control))
        if ranks not in ("zero", "all"):
            raise ValueError("ranks must be 'zero' or 'all', was %r" % (ranks,))
        self.model = model
        self.optimizer = optimizer
        self.should_stop = False
        self.suggestions = collections.deque(maxlen=100)
        self.epoch = None
        self.step_index = -1
        self.finish_timeout = finish_timeout
        self.report = None

        dist = torch.distributed
        self.distributed = dist.is_available() and dist.is_initialized()
        self.rank = dist.get_rank() if self.distributed else 0
        self.world_size = dist.get_world_size() if self.distributed else 1
        self.sync_every = max(1, int(sync_every))
        if run_id is None:
            run_id = "pytorch-" + uuid.uuid4().hex[:12]
            if self.distributed:
                holder = [run_id]
                dist.broadcast_object_list(holder, src=0)
                run_id = holder[0]
        self.run_id = run_id

        self._extra = {}
        if study_id:
            self._extra["studyId"] = study_id
        if trial_id:
            self._extra["trialId"] = trial_id
        if self.distributed and ranks == "all":
            self._extra["rank"] = self.rank
            self._extra["worldSize"] = self.world_size

        self.layers = Layers(model)
        self._pending = None       # a step event waiting for the optimizer step's parameter measurement
        self._result = None        # (optimizer step index, parameter norms, update ratios)
        self.sample_every = max(1, int(sample_every))
        if param_every > 0:   # parameter norms only on published steps
            param_every = param_every * self.sample_every // math.gcd(param_every, self.sample_every)
        self.probe = UpdateProbe(self.layers, optimizer, param_every, self._on_probe)
        self._after_optimizer = None
        self._applied = collections.OrderedDict()
        self._stop_command = None
        self._last_loss = None
        self._warned = False
        self.finished = False

        publishes = (not self.distributed) or self.rank == 0 or ranks == "all"
        listens = commands and ((not self.distributed) or self.rank == 0)
        self.listener = CommandListener(bootstrap, run_id, commands_topic, consumer_config) if listens else None
        self.publisher = None
        if publishes:
            self.publisher = Publisher(bootstrap, events_topic, queue_size, producer_config,
                                       gate=self.listener.ready if self.listener else None)
            control_doc = {"mode": control}
            if max_decays is not None:
                control_doc["maxDecays"] = int(max_decays)
            if min_learning_rate is not None:
                control_doc["minLearningRate"] = float(min_learning_rate)
            if allow_stop is not None:
                control_doc["allowStop"] = bool(allow_stop)
            self._publish(events.run_started(run_id, self._run_config(num_classes, loss, config),
                                             _backend(model), _device(model), control_doc, self._extra))
        self._last_time = time.perf_counter()
        self._atexit = _AtExit(self)
        atexit.register(self._atexit)

    # ---- the training loop's calls -------------------------------------------------------------

    def step(self, loss, logits=None, targets=None, batch_size=None, epoch=None):
        """Measures and publishes one step; call it after ``loss.backward()``, before or after
        ``optimizer.step()``. Applies the commands that arrived since the last call."""
        if self.finished:
            return
        now = time.perf_counter()
        k = self.step_index + 1
        self.step_index = k
        if epoch is not None:
            self.epoch = epoch
        # Is tw.step called after optimizer.step()? Then this step's update is done, and a new rate takes
        # effect from the next step. Decided at the first call, so that a skipped optimizer step (AMP's
        # GradScaler skips on inf) does not flip it.
        if self._after_optimizer is None:
            self._after_optimizer = self.probe.steps > 0
        stepped = self._after_optimizer
        if self._pending is not None:
            self._flush_pending()
        groups = self.optimizer.param_groups
        rates = [g["lr"] for g in groups] if stepped else None
        confirmations = self._apply(self._take_commands(k), k + 1 if stepped else k)
        if rates is None:
            rates = [g["lr"] for g in groups]
        event = None
        if k % self.sample_every == 0:
            try:
                event = self._step_event(k, loss, logits, targets, batch_size, rates, now)
            except Exception as e:   # a telemetry bug must never stop training
                if not self._warned:
                    self._warned = True
                    log.warning("trainwatch: step not measured: %r", e)
        self._last_time = now
        if event is None:
            pass
        elif stepped and self._result is not None and self._result[0] == self.probe.steps - 1:
            self._attach(event, self._result)
            self._result = None
            self._publish(event)
        elif not stepped and self.probe.due():
            self._pending = event     # published by the optimizer's step (or the next call, or finish)
        else:
            self._publish(event)
        for c in confirmations:
            self._publish(c)

    def validation(self, loss=None, accuracy=None, train_loss=None, train_accuracy=None, step=None, epoch=None):
        """Publishes a validation pass (at least one of loss and accuracy), at the last step by default."""
        if loss is None and accuracy is None:
            raise ValueError("validation needs loss or accuracy")
        if self.finished or self.publisher is None:
            return
        if self._pending is not None:
            self._flush_pending()
        step = self.step_index if step is None else int(step)
        epoch = self.epoch if epoch is None else epoch
        self._publish(events.validation(self.run_id, max(step, 0), epoch, _f(loss), _f(accuracy),
                                        _f(train_loss), _f(train_accuracy), self._extra))

    def finish(self, status=None, reason=None, timeout=None):
        """Publishes run-finished and flushes, waiting at most ``timeout`` seconds (default
        ``finish_timeout``); says what it could not send. Idempotent; also runs at interpreter exit."""
        if self.finished:
            return self.report
        self.finished = True
        atexit.unregister(self._atexit)
        if self._pending is not None:
            self._flush_pending()
        if not self.distributed and self.step_index >= 0:
            # A stop that arrived after the last step is confirmed now, as the loop has ended; a new rate
            # would apply to no step, so it is neither applied nor confirmed.
            late = [c for c in self._drain() if c.type == "stop"]
            for confirmation in self._apply(late, self.step_index):
                self._publish(confirmation)
        status, reason = self._final_status(status, reason)
        self.probe.remove()
        timeout = self.finish_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if self.listener is not None:
            self.listener.stop()
        if self.publisher is None:
            delivered = lost = unsent = 0
        else:
            self._publish(events.run_finished(self.run_id, status, reason, max(self.step_index, 0),
                                              self.publisher.lost, self._extra))
            delivered, lost, unsent = self.publisher.close(timeout)
        if self.listener is not None:
            self.listener.join(max(0.0, min(1.0, deadline - time.monotonic())))
        self.report = FinishReport(status, delivered, lost, unsent)
        if self.publisher is not None and (lost or unsent):
            log.warning("trainwatch: run %s: %d events sent, %d lost (queue full or broker unreachable), "
                        "%d not sent when finish() gave up", self.run_id, delivered, lost, unsent)
        return self.report

    @property
    def dropped(self):
        """Events lost so far: dropped (queue or buffer full) or not delivered."""
        return self.publisher.lost if self.publisher else 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish("stopped", "interrupted")
        else:
            self.finish("failed", "%s: %s" % (exc_type.__name__, exc))
        return False

    # ---- internals -------------------------------------------------------------------------------

    def _step_event(self, k, loss, logits, targets, batch_size, rates, now):
        m = measure_step(self.layers, loss, logits, targets)
        self._last_loss = m.loss
        return StepRecord(self, k, m, rates, (now - self._last_time) * 1000.0, batch_size, time.time())

    def _on_probe(self, index, param, ratios):
        if self._pending is not None:
            record = self._pending
            self._pending = None
            record.param, record.ratios = param, ratios
            self._publish(record)
        else:
            self._result = (index, param, ratios)

    def _attach(self, record, result):
        _, record.param, record.ratios = result

    def _flush_pending(self):
        event = self._pending
        self._pending = None
        self._publish(event)

    def _publish(self, event):
        if self.publisher is not None:
            self.publisher.publish(self.run_id, event)

    def _take_commands(self, k):
        if self.distributed:
            if k % self.sync_every != 0:
                return ()
            local = self._drain() if self.rank == 0 else None
            holder = [local]
            torch.distributed.broadcast_object_list(holder, src=0)
            return holder[0] or ()
        return self._drain()

    def _drain(self):
        if self.listener is None or not self.listener.inbox:
            return []
        inbox = self.listener.inbox
        out = []
        while inbox:
            out.append(inbox.popleft())
        return out

    def _apply(self, commands, effective_step):
        confirmations = []
        for cmd in commands:
            if cmd.mode == "suggest":
                self.suggestions.append(cmd)
                log.info("trainwatch: the tuner suggests %s", cmd)
                continue
            if cmd.command_id in self._applied:
                continue
            self._applied[cmd.command_id] = True
            while len(self._applied) > _REMEMBERED_COMMANDS:
                self._applied.popitem(last=False)
            details = {}
            if cmd.type == "set-learning-rate":
                groups = self.optimizer.param_groups
                previous = groups[0]["lr"]
                for g in groups:
                    # Every group moves by the same factor: group 0 gets the commanded rate, the others keep
                    # their ratio to it (differential rates survive a decay).
                    g["lr"] = g["lr"] * (cmd.learning_rate / previous) if previous > 0 else cmd.learning_rate
                details["previousLearningRate"] = events.metric(previous)
                details["learningRate"] = cmd.learning_rate
                if len(groups) > 1:
                    details["learningRates"] = [events.metric(g["lr"]) for g in groups]
                log.info("trainwatch: learning rate %g -> %g at step %d (%s)", previous, cmd.learning_rate,
                         effective_step, cmd.reason)
            else:
                self.should_stop = True
                self._stop_command = cmd
                log.info("trainwatch: stop requested at step %d (%s)", effective_step, cmd.reason)
            if cmd.reason:
                details["reason"] = cmd.reason
            if cmd.alert_id:
                details["alertId"] = cmd.alert_id
            if self.rank == 0:
                confirmations.append(events.command_applied(self.run_id, cmd.command_id, effective_step, cmd.type,
                                                            details, self._extra))
        return confirmations

    def _final_status(self, status, reason):
        if status is not None:
            if status not in events.FINISH_STATUSES:
                raise ValueError("status must be one of %s" % (events.FINISH_STATUSES,))
            return status, reason
        if self._stop_command is not None:
            return "stopped", reason or "stop command %s: %s" % (self._stop_command.command_id,
                                                                 self._stop_command.reason)
        if self._last_loss is not None and not math.isfinite(self._last_loss):
            return "diverged", reason or "loss is %s at step %d" % (events.metric(self._last_loss), self.step_index)
        return "completed", reason

    def _run_config(self, num_classes, loss, config):
        groups = self.optimizer.param_groups
        doc = {}
        if num_classes is not None:
            doc["numClasses"] = int(num_classes)
        if loss:
            doc["lossFunction"] = loss
        doc["layers"] = self.layers.describe()
        doc["optimizer"] = type(self.optimizer).__name__.lower()
        lr = groups[0].get("lr") if groups else None
        if isinstance(lr, (int, float)) and lr > 0:
            doc["learningRate"] = float(lr)
        doc["framework"] = "pytorch"
        if config:
            doc.update(config)
        return doc


class StepRecord:
    """A step's raw numbers, captured on the training thread; the producer thread turns them into the
    contract's dict (``to_event``), so that building and formatting cost the training loop nothing."""

    __slots__ = ("run", "step", "epoch", "measure", "rates", "millis", "batch_size", "seconds", "param", "ratios")

    def __init__(self, run, step, measure, rates, millis, batch_size, seconds):
        self.run = run
        self.step = step
        self.epoch = run.epoch
        self.measure = measure
        self.rates = rates
        self.millis = millis
        self.batch_size = batch_size
        self.seconds = seconds
        self.param = None
        self.ratios = None

    def to_event(self):
        run, m = self.run, self.measure
        event = events.envelope("step", run.run_id, run._extra, self.seconds)
        event["step"] = self.step
        if self.epoch is not None:
            event["epoch"] = int(self.epoch)
        event["loss"] = events.metric(m.loss)
        if m.accuracy is not None:
            event["accuracy"] = min(1.0, max(0.0, m.accuracy))
        event["learningRate"] = events.metric(self.rates[0])
        if len(self.rates) > 1:
            event["learningRates"] = [events.metric(r) for r in self.rates]
        total, per_layer = m.grad_norms(run.layers)
        if total is not None:
            event["gradientNorm"] = events.metric(total)
            event["layerGradientNorms"] = {n: events.metric(v) for n, v in zip(run.layers.names, per_layer)
                                           if v is not None}
        if self.param is not None:
            event["parameterNorms"] = events.metric_map(run.layers.names, self.param)
            event["updateRatios"] = events.metric_map(run.layers.names, self.ratios)
        event["stepMillis"] = self.millis
        n = self.batch_size if self.batch_size is not None else m.batch
        if n and self.millis > 0:
            event["examplesPerSecond"] = n * 1000.0 / self.millis
        return event


class _AtExit:
    """Finishes a run left open when the interpreter exits (as failed after an uncaught exception)."""

    def __init__(self, run):
        self._run = run

    def __call__(self):
        run = self._run
        if run.finished:
            return
        error = getattr(sys, "last_value", None)
        if error is not None:
            run.finish("failed", "%s: %s" % (type(error).__name__, error))
        else:
            run.finish(reason="the process exited without finish()")


def _f(x):
    if x is None:
        return None
    return float(x.detach()) if torch.is_tensor(x) else float(x)


def _first_device(model):
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _backend(model):
    device = _first_device(model)
    kind = "CUDA %s" % torch.version.cuda if device.type == "cuda" else device.type.upper()
    return "PyTorch %s (%s)" % (torch.__version__, kind)


def _device(model):
    device = _first_device(model)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"
