"""The README's TLS and SASL settings, read from clients/python/README.md and run against a broker that takes
nothing but SASL_SSL (local-kafka's SecuredKafka as a process: SCRAM-SHA-512 and PLAIN, a throw-away CA).

Librdkafka before 2.6.1 sends a SCRAM proof that Kafka 4 brokers reject (the README says so and says to use PLAIN
then): with such a librdkafka, the run goes over PLAIN and SCRAM is checked to be refused as the README describes.
"""

import ast
import logging
import os
import re
import time

import confluent_kafka
import pytest
import torch

import trainwatch

from conftest import SecuredBroker, TopicReader, send, strip
from test_commands import Loop, command, new_run

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")

# librdkafka's SCRAM is accepted by Kafka 4 brokers from this version on (librdkafka 2.6.1 release notes).
SCRAM_FIXED_IN = (2, 6, 1)


def librdkafka_version():
    return tuple(int(x) for x in re.findall(r"\d+", confluent_kafka.libversion()[0])[:3])


def readme_block():
    """The README's "TLS and SASL" example: (the settings dict, the keywords of its ``trainwatch.init`` call)."""
    with open(README) as f:
        text = f.read()
    section = text.split("\n## TLS and SASL\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    tree = ast.parse(code)
    settings = init = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            name, settings = node.targets[0].id, ast.literal_eval(node.value)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "trainwatch.init":
            init = {k.arg: k.value for k in node.keywords}
    assert settings and init, "the README's TLS and SASL block has no settings dict or no trainwatch.init call"
    for key in ("producer_config", "consumer_config"):
        assert ast.unparse(init[key]) == name, "the README passes %s=%s" % (key, ast.unparse(init[key]))
    return settings, init


def readme_settings(broker, password=None, mechanism=None):
    """The README's settings with its placeholders filled in for ``broker``; the rest exactly as written."""
    settings, init = readme_block()
    placeholders = {"sasl.username": broker.user, "sasl.password": password or broker.password,
                    "ssl.ca.location": broker.ca_location}
    assert settings["sasl.password"] == "...", "the README's password is a placeholder"
    for key, value in placeholders.items():
        assert key in settings, "the README sets no %s" % key
        settings[key] = value
    if mechanism is not None:
        settings["sasl.mechanisms"] = mechanism
    options = {k: ast.literal_eval(v) for k, v in init.items() if k not in ("producer_config", "consumer_config")}
    options["bootstrap"] = broker.bootstrap
    return settings, options


def run_mechanism(settings):
    """The README's mechanism where this librdkafka can log in with it, else PLAIN, as the README says."""
    if settings["sasl.mechanisms"].startswith("SCRAM") and librdkafka_version() < SCRAM_FIXED_IN:
        return "PLAIN"
    return settings["sasl.mechanisms"]


@pytest.fixture(scope="module")
def secured():
    b = SecuredBroker()
    yield b
    b.stop()


@pytest.fixture
def no_secret_in_output(secured, caplog, capfd):
    """After the test: nothing logged (every logger at DEBUG, librdkafka's lines included) or printed holds the
    password."""
    caplog.set_level(logging.DEBUG)
    yield secured
    out, err = capfd.readouterr()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (secured.password, "wrong-" + secured.password):
        assert secret not in logged and secret not in out and secret not in err, "a password was logged"


def test_the_readme_settings_run_a_job_over_sasl_ssl(secured, no_secret_in_output, contract, run_id, caplog):
    settings, options = readme_settings(secured)
    assert settings["security.protocol"] == "SASL_SSL"
    kafka, options = readme_settings(secured, mechanism=run_mechanism(settings))
    tw, model, opt = new_run(options.pop("bootstrap"), run_id, producer_config=kafka, consumer_config=kafka,
                             **options)
    loop = Loop(tw, model, opt, "before")
    for _ in range(5):
        loop.step()
    send(secured.bootstrap, "tuner.commands", run_id, command(run_id, "c-sasl", learningRate=0.02), config=kafka)
    loop.until(lambda: opt.param_groups[0]["lr"] == 0.02)
    loop.step()
    report = tw.finish(timeout=10)
    assert report.status == "completed" and report.lost == 0 and report.unsent == 0, report

    reader = TopicReader(secured.bootstrap, "training.events", run_id, config=kafka)
    try:
        records = reader.read_until(lambda rs: any(r["type"] == "run-finished" for r in rs))
    finally:
        reader.close()
    for r in records:
        contract.check_event(strip(r))
    types = [r["type"] for r in records]
    assert types[0] == "run-started" and types[-1] == "run-finished", types
    assert types.count("step") >= 6
    applied = [r for r in records if r["type"] == "command-applied"]
    assert [a["commandId"] for a in applied] == ["c-sasl"]
    assert applied[0]["details"]["learningRate"] == 0.02
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("trainwatch")]


def test_scram_needs_librdkafka_2_6_1_against_kafka_4(secured, no_secret_in_output):
    """What the README says of SCRAM holds for the librdkafka here: it logs in from 2.6.1 on, and before that
    the right password is refused as invalid credentials."""
    kafka, _ = readme_settings(secured)
    assert kafka["sasl.mechanisms"] == "SCRAM-SHA-512"
    errors = []
    p = confluent_kafka.Producer(dict(kafka, **{"bootstrap.servers": secured.bootstrap,
                                                "error_cb": errors.append, "logger": logging.getLogger("rdkafka")}))
    p.produce("training.events", key=b"pytest-scram", value=b"{}")
    left = p.flush(5)
    if librdkafka_version() >= SCRAM_FIXED_IN:
        assert left == 0 and not errors, errors
    else:
        assert left == 1
        assert any(e.code() == confluent_kafka.KafkaError._AUTHENTICATION and "invalid credentials" in e.str()
                   for e in errors), errors
        p.purge()


def test_a_wrong_password_fails_clearly_and_training_goes_on(secured, no_secret_in_output, run_id, caplog):
    settings, _ = readme_settings(secured)
    kafka, options = readme_settings(secured, password="wrong-" + secured.password,
                                     mechanism=run_mechanism(settings))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tw = trainwatch.init(model, opt, run_id=run_id, num_classes=2, producer_config=kafka, consumer_config=kafka,
                         **options)
    loop = Loop(tw, model, opt, "after")
    began = time.monotonic()
    slowest = 0.0
    warning = None
    while warning is None and time.monotonic() - began < 5:
        t = time.monotonic()
        loop.step()
        slowest = max(slowest, time.monotonic() - t)
        warning = next((r.getMessage() for r in caplog.records
                        if r.name == "trainwatch" and r.levelno == logging.WARNING), None)
        time.sleep(0.02)
    assert warning is not None, "no warning within 5 s"
    assert "SASL authentication error" in warning and secured.bootstrap in warning, warning
    # A step that waited for the broker would take its 10 s start gate or 30 s message timeout.
    assert slowest < 2.0, "a step took %.1f s" % slowest
    began = time.monotonic()
    report = tw.finish(timeout=2)
    assert time.monotonic() - began < 5
    assert report.delivered == 0 and report.lost + report.unsent > 0, report
