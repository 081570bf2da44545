"""Trainwatch for PyTorch: publish a training run to Trainwatch and obey its tuner, in three lines.

    tw = trainwatch.init(model, optimizer, control="auto")
    ...  loss.backward(); tw.step(loss, logits=out, targets=y); optimizer.step() ...
    tw.finish()

See ``init`` for the options and the package README for what is measured.
"""

from .commands import Command
from .run import FinishReport, Run

__version__ = "0.1.0"
__all__ = ["init", "Run", "Command", "FinishReport", "__version__"]


def init(model, optimizer, run_id=None, bootstrap="127.0.0.1:9092", num_classes=10, loss="cross-entropy",
         control="off", **options):
    """Starts watching a run: publishes run-started and listens for the tuner's commands.

    model, optimizer: the torch.nn.Module and torch.optim.Optimizer being trained.
    run_id: the run's id (key of every record); default ``pytorch-<12 hex digits>``.
    bootstrap: Kafka bootstrap servers.
    num_classes, loss: for the monitor's checks that need a known loss (initial loss ~ ln(C) for
        ``cross-entropy``); ``num_classes=None`` for a task without classes.
    control: what a tuner may do with this run: ``"auto"`` (send set-learning-rate and stop, which this
        run applies), ``"suggest"`` (only suggestions, collected in ``run.suggestions``), ``"off"`` (the
        default: a tuner leaves the run alone).

    Keyword options: ``config`` (a dict merged into run-started's config: dataset, batchSize, epochs,
    seed, ...), ``param_every`` (parameter norms and update ratios every N optimizer steps, default 10;
    0 = never), ``sample_every`` (measure and publish every N-th step only, default 1; commands are still
    applied at every step), ``study_id``, ``trial_id``, ``max_decays``, ``min_learning_rate``, ``allow_stop`` (limits
    announced in run-started's control), ``ranks`` (``"zero"``: only rank 0 publishes; ``"all"``: every
    rank, with ``rank`` and ``worldSize`` in its events), ``sync_every`` (with torch.distributed: commands
    are broadcast from rank 0 every N steps, default 10), ``commands`` (False: do not listen),
    ``queue_size`` (default 10000 events), ``finish_timeout`` (seconds, default 10),
    ``producer_config`` / ``consumer_config`` (extra confluent-kafka settings: TLS, SASL, ...),
    ``events_topic``, ``commands_topic``.
    """
    return Run(model, optimizer, run_id=run_id, bootstrap=bootstrap, num_classes=num_classes, loss=loss,
               control=control, **options)
