"""Sends events to Kafka from a background thread, so that training never waits for the broker.

The training thread only puts a dict into a bounded queue (``put_nowait``: a full queue drops the event
and counts it). The producer thread encodes it and hands it to confluent-kafka, whose own buffer is also
bounded; a full buffer or a failed delivery (broker down longer than ``message.timeout.ms``) is counted
as a drop too. ``close(timeout)`` drains what it can within the timeout and reports what it could not
send. librdkafka's connection errors go to the ``trainwatch.kafka`` logger at DEBUG instead of stderr.
"""

import logging
import queue
import threading
import time

from . import events

log = logging.getLogger("trainwatch")
kafka_log = logging.getLogger("trainwatch.kafka")


class Publisher:
    """A bounded queue and one producer thread in front of a confluent-kafka Producer."""

    def __init__(self, bootstrap, topic=events.EVENTS_TOPIC, capacity=10000, producer_config=None,
                 gate=None, gate_timeout=10.0):
        from confluent_kafka import Producer

        config = {
            "bootstrap.servers": bootstrap,
            # Java's default partitioner, so a run's records land where a Java producer would put them.
            "partitioner": "murmur2_random",
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
        self._queue = queue.Queue(maxsize=capacity)
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
        """Never blocks: True if queued, False if dropped because the queue is full or it is closing."""
        if self._closing.is_set():
            self.dropped += 1
            return False
        try:
            self._queue.put_nowait((key, event))
        except queue.Full:
            self.dropped += 1
            return False
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
            end = time.monotonic() + self._gate_timeout
            while not self._gate.is_set() and not self._closing.is_set() and time.monotonic() < end:
                self._gate.wait(0.05)
        producer = self._producer
        while True:
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                producer.poll(0)
                if self._closing.is_set():
                    return
                continue
            key, event = item
            try:
                value = events.encode(event)
            except (TypeError, ValueError) as e:
                self.dropped += 1
                log.warning("trainwatch: event not encodable, dropped: %s", e)
                continue
            try:
                producer.produce(self.topic, value=value, key=key.encode("utf-8"), on_delivery=self._on_delivery)
                self.produced += 1
            except BufferError:
                self.dropped += 1
            except Exception as e:   # KafkaException: e.g. message too large
                self.dropped += 1
                log.warning("trainwatch: event not sent: %s", e)
            producer.poll(0)

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
        unsent = in_flight + self._queue.qsize()
        delivered = self.produced - self.failed - in_flight
        return delivered, self.lost, unsent


class QuietLogger:
    """librdkafka's log lines (connection refused, retries) at DEBUG on ``trainwatch.kafka``."""

    def log(self, level, msg, *args):
        kafka_log.debug(msg, *args)
