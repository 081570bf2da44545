"""Contract JSON for topic training.events: the shapes of events/src/main/resources/schemas.

Builders return plain dicts; `encode` turns one into UTF-8 JSON. Non-finite numbers are written as the
strings "NaN", "Infinity" and "-Infinity" (what the schemas' `metric` type names), so the output is
strict JSON that any reader parses.
"""

import json
import math
from datetime import datetime, timezone

SCHEMA_VERSION = 1

EVENTS_TOPIC = "training.events"
COMMANDS_TOPIC = "tuner.commands"

CONTROL_MODES = ("auto", "suggest", "off")
FINISH_STATUSES = ("completed", "stopped", "diverged", "failed")


def now_iso(seconds=None):
    """A UTC time (default: now) as ISO-8601 with milliseconds and a Z, e.g. 2026-11-23T10:15:30.123Z."""
    moment = datetime.now(timezone.utc) if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def metric(value):
    """A float for the contract: finite numbers as they are, NaN and infinities as their strings."""
    value = float(value)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def metric_map(names, values):
    """An ordered {name: metric} map (input layer first)."""
    return {name: metric(v) for name, v in zip(names, values)}


def envelope(event_type, run_id, extra=None, seconds=None):
    event = {"schemaVersion": SCHEMA_VERSION, "type": event_type, "runId": run_id, "timestamp": now_iso(seconds)}
    if extra:
        event.update(extra)
    return event


def run_started(run_id, config, backend, device, control, extra=None):
    event = envelope("run-started", run_id, extra)
    event["config"] = config
    event["backend"] = backend
    event["device"] = device
    if control is not None:
        event["control"] = control
    return event


def validation(run_id, step, epoch, loss, accuracy, train_loss, train_accuracy, extra=None):
    event = envelope("validation", run_id, extra)
    event["step"] = step
    if epoch is not None:
        event["epoch"] = epoch
    if train_loss is not None:
        event["trainLoss"] = metric(train_loss)
    if train_accuracy is not None:
        event["trainAccuracy"] = fraction(train_accuracy)
    if loss is not None:
        event["validationLoss"] = metric(loss)
    if accuracy is not None:
        event["validationAccuracy"] = fraction(accuracy)
    return event


def command_applied(run_id, command_id, step, command, details, extra=None):
    event = envelope("command-applied", run_id, extra)
    event["commandId"] = command_id
    event["step"] = step
    event["command"] = command
    event["details"] = details
    return event


def run_finished(run_id, status, reason, step, dropped, extra=None):
    event = envelope("run-finished", run_id, extra)
    event["status"] = status
    if reason:
        event["reason"] = reason
    event["step"] = step
    event["droppedEvents"] = dropped
    return event


def fraction(value):
    """An accuracy in [0, 1]; anything else is a caller's mistake and raises ValueError."""
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError("an accuracy must be in [0, 1], was %r" % value)
    return value


def encode(event):
    """UTF-8 JSON. allow_nan=False: every non-finite number must already be a string (see `metric`)."""
    return json.dumps(event, allow_nan=False, separators=(",", ":")).encode("utf-8")
