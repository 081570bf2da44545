"""Sends events to Kafka from a background thread, so that training never waits for the broker.

The training thread only appends a dict to a bounded deque (a full one drops the event and counts it): no
lock, no wake-up. The producer thread wakes every ``interval`` seconds (0.1), encodes what has accumulated
and hands it to confluent-kafka, whose own buffer is also bounded. Waking per event instead (a
``queue.Queue``) cost the training thread ~170 us per step on a busy 2-CPU machine: every ``put`` handed
the GIL to the producer thread, which then held up the next PyTorch op. Drops: a full producer buffer or a failed delivery (broker down longer than ``message.timeout.ms``)
counts as a drop too. ``close(timeout)`` drains what it can within the timeout and reports what it could not
send. librdkafka's connection errors go to the ``trainwatch.kafka`` logger at DEBUG instead of stderr.
"""

import collections
import logging
import threading
import time

from . import events

log = logging.getLogger("trainwatch")
kafka_log = logging.getLogger("trainwatch.kafka")


class Publisher:
    """A bounded queue and one producer thread in front of a confluent-kafka Producer."""

    def __init__(self, bootstrap, topic=events.EVENTS_TOPIC, capacity=10000, producer_config=None,
                 gate=None, gate_timeout=10.0, interval=0.1):
        from confluent_kafka import Producer

        config = {
            "bootstrap.servers": bootstrap,
            # Java's default partitioner, so a run's records land where a Java producer would put them.
            "partitioner": "murmur2_random",
            # As the Java producers: a retried send neither duplicates nor reorders a run's events.
            "enable.idempotence": True,
            "linger.ms": 20,
            "queue.buffering.max.messages": 100000,
            "message.timeout.ms": 30000,
            "socket.keepalive.enable": True,
            # A Python callback per failed event only: delivered = produced - failed - still in flight.
            "delivery.report.only.error": True,
            "logger": QuietLogger(),
            "error_cb": self._on_error,
        }
        config.update(producer_config or {})
        self.topic = topic
        self.bootstrap = bootstrap
        self._warned_unreachable = False
        self._producer = Producer(config)
        self._queue = collections.deque()
        self._capacity = capacity
        self._interval = interval
        self._closing = threading.Event()
        self._gate = gate
        self._gate_timeout = gate_timeout
        self.queued = 0        # accepted by publish()
        self.dropped = 0       # queue full, producer buffer full, or not encodable
        self.failed = 0        # delivery failed (broker unreachable past message.timeout.ms, or rejected)
        self.produced = 0      # handed to librdkafka
        self._thread = threading.Thread(target=self._run, name="trainwatch-producer", daemon=True)
        self._thread.start()

    def publish(self, key, event):
        """``event``: a dict, or an object whose ``to_event()`` returns one (called on this thread). Never blocks: True if queued, False if dropped because the queue is full or it is closing."""
        if self._closing.is_set() or len(self._queue) >= self._capacity:
            self.dropped += 1
            return False
        self._queue.append((key, event))
        self.queued += 1
        return True

    @property
    def lost(self):
        """Events that did not and will not reach the broker so far."""
        return self.dropped + self.failed

    def _run(self):
        if self._gate is not None:
            # The command listener first notes where tuner.commands ends, so that no command sent in
            # answer to this run's first events can be missed; bounded, so a dead broker delays nothing.
            # Meanwhile the producer's error callbacks are served, so a refused login is reported at once.
            end = time.monotonic() + self._gate_timeout
            while not self._gate.is_set() and not self._closing.is_set() and time.monotonic() < end:
                self._producer.poll(0)
                self._gate.wait(0.05)
        producer = self._producer
        pending = self._queue
        while True:
            closing = self._closing.wait(self._interval)
            while pending:
                key, event = pending.popleft()
                try:
                    value = events.encode(event.to_event() if hasattr(event, "to_event") else event)
                except Exception as e:   # a bug in building it must not stop the thread
                    self.dropped += 1
                    log.warning("trainwatch: event not encodable, dropped: %r", e)
                    continue
                try:
                    producer.produce(self.topic, value=value, key=key.encode("utf-8"), on_delivery=self._on_delivery)
                    self.produced += 1
                except BufferError:
                    self.dropped += 1
                    producer.poll(0)
                except Exception as e:   # KafkaException: e.g. message too large
                    self.dropped += 1
                    log.warning("trainwatch: event not sent: %s", e)
            producer.poll(0)
            if closing:
                return

    def _on_delivery(self, err, msg):
        if err is not None:
            self.failed += 1
            kafka_log.debug("delivery failed: %s", err)

    def _on_error(self, err):
        kafka_log.debug("kafka: %s", err)
        if not self._warned_unreachable:
            self._warned_unreachable = True
            log.warning("trainwatch: Kafka at %s: %s; training goes on, events wait in a bounded buffer "
                        "and are dropped (counted) when it is full or they time out", self.bootstrap, err.str())

    def close(self, timeout=10.0):
        """Sends what it can within ``timeout`` seconds; returns (delivered, lost, unsent)."""
        deadline = time.monotonic() + max(0.0, timeout)
        self._closing.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        remaining = max(0.0, deadline - time.monotonic())
        in_flight = self._producer.flush(remaining)
        unsent = in_flight + len(self._queue)
        delivered = self.produced - self.failed - in_flight
        return delivered, self.lost, unsent


class QuietLogger:
    """librdkafka's log lines (connection refused, retries) at DEBUG on ``trainwatch.kafka``."""

    def log(self, level, msg, *args):
        kafka_log.debug(msg, *args)
