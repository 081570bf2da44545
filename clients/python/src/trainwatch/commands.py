"""Reads the tuner's commands for one run from tuner.commands, on a background thread.

The listener only parses and hands commands over (a deque); the training thread applies them at its
next ``step`` (PyTorch optimizers are not thread-safe). It reads every partition without a consumer
group, from the end as it was before the run's first event left (``ready`` is set then; the publisher
waits for it, bounded), so a command that answers this run's events cannot be missed. Records of other
runs are skipped by key before parsing.
"""

import collections
import json
import logging
import math
import threading
import uuid

from . import events
from .publisher import QuietLogger

log = logging.getLogger("trainwatch")
kafka_log = logging.getLogger("trainwatch.kafka")

COMMAND_TYPES = ("set-learning-rate", "stop")


class Command:
    """A parsed tuner command: id, type, rate (set-learning-rate), reason, alert id, mode."""

    __slots__ = ("command_id", "type", "learning_rate", "reason", "alert_id", "mode", "raw")

    def __init__(self, command_id, type, learning_rate, reason, alert_id, mode, raw):
        self.command_id = command_id
        self.type = type
        self.learning_rate = learning_rate
        self.reason = reason
        self.alert_id = alert_id
        self.mode = mode
        self.raw = raw

    def __repr__(self):
        lr = "" if self.learning_rate is None else " learningRate=%g" % self.learning_rate
        return "Command(%s %s%s mode=%s reason=%r)" % (self.command_id, self.type, lr, self.mode, self.reason)

    def __reduce__(self):   # picklable for torch.distributed.broadcast_object_list
        return (Command, (self.command_id, self.type, self.learning_rate, self.reason, self.alert_id,
                          self.mode, self.raw))


def parse_command(value, run_id):
    """A Command from a record's bytes, or (None, why) when it is not a valid command for this run."""
    try:
        doc = json.loads(value)
    except (ValueError, UnicodeDecodeError) as e:
        return None, "not JSON: %s" % e
    if not isinstance(doc, dict):
        return None, "not a JSON object"
    if doc.get("runId") != run_id:
        return None, "for run %r" % doc.get("runId")
    version = doc.get("schemaVersion")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return None, "missing or bad schemaVersion"
    if version > events.SCHEMA_VERSION:
        return None, "schemaVersion %d is newer than the supported %d" % (version, events.SCHEMA_VERSION)
    command_id = doc.get("commandId")
    if not isinstance(command_id, str) or not command_id:
        return None, "missing commandId"
    kind = doc.get("type")
    if kind not in COMMAND_TYPES:
        return None, "unknown command type %r" % (kind,)
    mode = doc.get("mode", "apply")
    if mode not in ("apply", "suggest"):
        return None, "unknown mode %r" % (mode,)
    rate = None
    if kind == "set-learning-rate":
        rate = doc.get("learningRate")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
            return None, "set-learning-rate needs a finite learningRate > 0, was %r" % (rate,)
        rate = float(rate)
    reason = doc.get("reason") if isinstance(doc.get("reason"), str) else ""
    alert_id = doc.get("alertId") if isinstance(doc.get("alertId"), str) else None
    return Command(command_id, kind, rate, reason, alert_id, mode, doc), None


class CommandListener:
    """A consumer thread that puts this run's commands into ``inbox`` (a deque) as they arrive."""

    def __init__(self, bootstrap, run_id, topic=events.COMMANDS_TOPIC, consumer_config=None):
        self.run_id = run_id
        self.topic = topic
        self.inbox = collections.deque()
        self.ready = threading.Event()
        self.rejected = 0
        self._key = run_id.encode("utf-8")
        self._stop = threading.Event()
        config = {
            "bootstrap.servers": bootstrap,
            # Offsets are never committed: the group only satisfies the client; the partitions are assigned.
            "group.id": "trainwatch-client-" + uuid.uuid4().hex,
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "auto.offset.reset": "latest",
            "logger": QuietLogger(),
            "error_cb": lambda err: kafka_log.debug("kafka: %s", err),
        }
        config.update(consumer_config or {})
        self._config = config
        self._thread = threading.Thread(target=self._run, name="trainwatch-commands", daemon=True)
        self._thread.start()

    def _run(self):
        from confluent_kafka import Consumer, KafkaException, TopicPartition

        consumer = Consumer(self._config)
        try:
            while not self._stop.is_set() and not self.ready.is_set():
                try:
                    metadata = consumer.list_topics(self.topic, timeout=1.0)
                    topic = metadata.topics.get(self.topic)
                    if topic is None or topic.error is not None or not topic.partitions:
                        raise KafkaException("topic %s not found" % self.topic)
                    assignment = []
                    for p in sorted(topic.partitions):
                        _, high = consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=1.0)
                        assignment.append(TopicPartition(self.topic, p, high))
                    consumer.assign(assignment)
                    self.ready.set()
                except KafkaException as e:
                    kafka_log.debug("command listener not positioned yet: %s", e)
                    self._stop.wait(0.5)
            while not self._stop.is_set():
                msg = consumer.poll(0.2)
                if msg is None or msg.error() is not None:
                    continue
                if msg.key() is not None and msg.key() != self._key:
                    continue
                command, why = parse_command(msg.value(), self.run_id)
                if command is None:
                    if not why.startswith("for run"):
                        self.rejected += 1
                        log.warning("trainwatch: ignored a record on %s: %s", self.topic, why)
                    continue
                self.inbox.append(command)
        except Exception as e:   # the listener must never take the training process down
            log.warning("trainwatch: command listener stopped: %s", e)
        finally:
            try:
                consumer.close()
            except Exception:
                pass

    def stop(self):
        """Asks the thread to stop; it closes its consumer on its way out (a daemon: exit never waits)."""
        self._stop.set()

    def join(self, timeout):
        self._thread.join(timeout)
