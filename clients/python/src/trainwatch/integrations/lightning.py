"""A PyTorch Lightning Callback that watches a LightningModule's training with Trainwatch.

Recipe, not tested (Lightning is not installable where this was written):

    from trainwatch.integrations.lightning import TrainwatchCallback
    trainer = L.Trainer(callbacks=[TrainwatchCallback(num_classes=10, control="auto")])

    # in the LightningModule, return what the batch accuracy needs (optional):
    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        return {"loss": loss, "logits": logits.detach(), "targets": y}

The step is measured in ``on_train_batch_end``: Lightning zeroes gradients just before the next
backward, so they are still those of this step (tw.step after optimizer.step). One optimizer step per
batch is assumed (no gradient accumulation, the first optimizer only). A stop from the tuner sets
``trainer.should_stop``. Validation metrics are read from ``trainer.callback_metrics`` under
``val_loss_key`` / ``val_accuracy_key``.
"""

try:
    import lightning.pytorch as pl
except ImportError:   # the older package name
    import pytorch_lightning as pl

import trainwatch


class TrainwatchCallback(pl.Callback):
    """Publishes each training step and validation to Trainwatch; applies the tuner's commands."""

    def __init__(self, val_loss_key="val_loss", val_accuracy_key="val_acc", **init_options):
        super().__init__()
        self.init_options = init_options
        self.val_loss_key = val_loss_key
        self.val_accuracy_key = val_accuracy_key
        self.tw = None

    def on_fit_start(self, trainer, pl_module):
        # on every rank: with torch.distributed, Trainwatch itself publishes from rank 0 only (by default)
        # and broadcasts the tuner's commands to all ranks, which must all call step()
        self.tw = trainwatch.init(pl_module, trainer.optimizers[0], **self.init_options)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self.tw is None or outputs is None:
            return
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        logits = outputs.get("logits") if isinstance(outputs, dict) else None
        targets = outputs.get("targets") if isinstance(outputs, dict) else None
        self.tw.step(loss, logits=logits, targets=targets, epoch=trainer.current_epoch)
        if self.tw.should_stop:
            trainer.should_stop = True

    def on_validation_end(self, trainer, pl_module):
        if self.tw is None or trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        loss, accuracy = metrics.get(self.val_loss_key), metrics.get(self.val_accuracy_key)
        if loss is not None or accuracy is not None:
            self.tw.validation(loss=loss, accuracy=accuracy, epoch=trainer.current_epoch)

    def on_fit_end(self, trainer, pl_module):
        if self.tw is not None:
            self.tw.finish()

    def on_exception(self, trainer, pl_module, exception):
        if self.tw is not None:
            self.tw.finish("failed", "%s: %s" % (type(exception).__name__, exception))

