"""Test fixtures: a real Kafka broker (the local-kafka module's LocalKafka, on free ports; SecuredKafka for the
SASL_SSL tests), the contract's JSON Schemas, and a reader of what lands on the topics.

Every package these tests need is imported here at the top: a missing one fails the run (and the
Maven build that runs it), it never skips.
"""

import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import confluent_kafka  # noqa: F401  (required)
import jsonschema
import pytest
import sklearn  # noqa: F401  (required: the end-to-end test and the example use its digits)
import torch  # noqa: F401  (required)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SCHEMAS = os.path.join(REPO, "events", "src", "main", "resources", "schemas")
LOCAL_KAFKA = os.path.join(REPO, "local-kafka", "target")

sys.path.insert(0, os.path.join(HERE, "..", "src"))   # the package under test, from source


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def broker_classpath():
    jars = glob.glob(os.path.join(LOCAL_KAFKA, "local-kafka-*.jar"))
    jars = [j for j in jars if not j.endswith(("-sources.jar", "-tests.jar"))]
    lib = os.path.join(LOCAL_KAFKA, "lib")
    if not jars or not os.path.isdir(lib):
        raise RuntimeError("the local-kafka broker is not built: run `mvn -B -pl events,local-kafka -am package "
                           "-DskipTests` (looked in %s)" % LOCAL_KAFKA)
    return jars[0] + os.pathsep + os.path.join(lib, "*")


class JavaBroker:
    """A broker process of the local-kafka module, started with ``args``; ``bootstrap`` once it prints
    ``Kafka ready on HOST:PORT``. ``lines`` keeps everything it printed."""

    def __init__(self, main_class, args, env=None, name="LocalKafka"):
        self.lines = []
        self.bootstrap = None
        java = shutil.which("java") or "java"
        self.process = subprocess.Popen(
            [java, "-Xmx512m", "-cp", broker_classpath(), main_class] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        ready = threading.Event()

        def read():
            for line in self.process.stdout:
                self.lines.append(line.rstrip())
                if line.startswith("Kafka ready on "):
                    self.bootstrap = line[len("Kafka ready on "):].strip()
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(180) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("%s did not start:\n%s" % (name, "\n".join(self.lines[-30:])))

    def line(self, prefix):
        """The rest of the first line printed so far that starts with ``prefix``."""
        return next(l[len(prefix):].strip() for l in self.lines if l.startswith(prefix))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Broker(JavaBroker):
    """A LocalKafka process on free ports with its own data directory."""

    def __init__(self):
        port = free_port()
        controller = free_port()
        while controller == port:
            controller = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="trainwatch-py-kafka-")
        super().__init__("io.trainwatch.kafka.LocalKafka",
                         ["--data-dir", self.data_dir, "--host", "127.0.0.1", "--port", str(port),
                          "--controller-port", str(controller)])

    def stop(self):
        super().stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class SecuredBroker(JavaBroker):
    """local-kafka's SecuredKafka as a process: only SASL_SSL (SCRAM-SHA-512 and PLAIN) on free ports, certified by a
    throw-away CA whose PEM certificate is ``ca_location``; one user, ``user`` / ``password`` (handed over through the
    environment, so that it is on no command line)."""

    def __init__(self, user="trainwatch"):
        self.user = user
        self.password = "pw-" + secrets.token_hex(12)
        env = dict(os.environ, TRAINWATCH_KAFKA_PASSWORD=self.password)
        super().__init__("io.trainwatch.kafka.SecuredKafka", ["--user", user], env=env, name="SecuredKafka")
        self.ca_location = self.line("CA certificate: ")


@pytest.fixture(scope="session")
def broker():
    b = Broker()
    yield b
    b.stop()


@pytest.fixture(scope="session")
def bootstrap(broker):
    return broker.bootstrap


def _load_schemas():
    store = {}
    for path in glob.glob(os.path.join(SCHEMAS, "*.schema.json")):
        with open(path) as f:
            doc = json.load(f)
        store[doc["$id"]] = doc
        store[os.path.basename(path)] = doc
    return store


class Contract:
    """The events module's JSON Schemas, as validators."""

    def __init__(self):
        self.store = _load_schemas()
        self._validators = {}

    def validator(self, name):
        if name not in self._validators:
            schema = self.store[name]
            resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=self.store)
            self._validators[name] = jsonschema.Draft202012Validator(schema, resolver=resolver)
        return self._validators[name]

    def check_event(self, event):
        self.validator("training-event.schema.json").validate(event)

    def check_command(self, command):
        self.validator("tuner-command.schema.json").validate(command)


@pytest.fixture(scope="session")
def contract():
    return Contract()


class TopicReader:
    """Reads a topic from the beginning, keeping the records of one key, parsed as JSON."""

    def __init__(self, bootstrap, topic, key, config=None):
        from confluent_kafka import Consumer, TopicPartition
        self.key = key.encode("utf-8")
        self.records = []
        self.partitions = []
        self.consumer = Consumer(dict({"bootstrap.servers": bootstrap, "group.id": "pytest-" + uuid.uuid4().hex,
                                       "enable.auto.commit": False, "auto.offset.reset": "earliest"}, **(config or {})))
        meta = self.consumer.list_topics(topic, timeout=10)
        self.consumer.assign([TopicPartition(topic, p, 0) for p in meta.topics[topic].partitions])

    def read_until(self, done, timeout=30.0):
        """Polls until ``done(records)`` is true; returns the records (raw text kept in ``raw``)."""
        deadline = time.monotonic() + timeout
        while not done(self.records):
            if time.monotonic() > deadline:
                raise AssertionError("timed out; got %d records: %s" % (
                    len(self.records), [r.get("type") for r in self.records][-20:]))
            msg = self.consumer.poll(0.2)
            if msg is None or msg.error() is not None or msg.key() != self.key:
                continue
            raw = msg.value().decode("utf-8")
            doc = json.loads(raw)
            doc["_raw"] = raw
            doc["_partition"] = msg.partition()
            self.records.append(doc)
        return self.records

    def close(self):
        self.consumer.close()


@pytest.fixture
def read_topic(bootstrap):
    readers = []

    def make(topic, key):
        r = TopicReader(bootstrap, topic, key)
        readers.append(r)
        return r

    yield make
    for r in readers:
        r.close()


def send(bootstrap, topic, key, doc, config=None):
    """Writes one JSON record and waits for the broker; ``config``: extra confluent-kafka settings (TLS, SASL)."""
    from confluent_kafka import Producer
    p = Producer(dict({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"}, **(config or {})))
    p.produce(topic, key=key.encode("utf-8"), value=json.dumps(doc).encode("utf-8"))
    assert p.flush(10) == 0


def strip(event):
    return {k: v for k, v in event.items() if not k.startswith("_")}


@pytest.fixture
def run_id():
    return "pytest-" + uuid.uuid4().hex[:10]
