"""A Hugging Face ``transformers`` TrainerCallback that watches a Trainer with Trainwatch.

Recipe, not tested (transformers is not installable where this was written); needs a transformers
version with ``on_pre_optimizer_step`` (4.46 or later):

    from trainwatch.integrations.huggingface import TrainwatchCallback
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val)
    trainer.add_callback(TrainwatchCallback(trainer, num_classes=2, control="auto"))
    trainer.train()

Callbacks are not given the loss, so the callback wraps the trainer's ``compute_loss`` (like PyTorch's
LR schedulers wrap ``optimizer.step``) and keeps the mean loss of the micro-batches since the last
optimizer step. The step is measured in ``on_pre_optimizer_step``: gradients are complete (and clipped,
if clipping is on), the update not yet made (tw.step before optimizer.step). A stop from the tuner sets
``control.should_training_stop``. ``on_evaluate`` publishes ``eval_loss`` / ``eval_accuracy``.

A learning-rate schedule that recomputes the rate from its base rates at every step (the Trainer's
default linear schedule does) overrides a ``set-learning-rate`` at the next scheduler step: use a
constant schedule (``lr_scheduler_type="constant"``) for runs that the tuner steers.
"""

import types

from transformers import TrainerCallback

import trainwatch


class TrainwatchCallback(TrainerCallback):
    """Publishes each optimizer step and evaluation of a Trainer to Trainwatch."""

    def __init__(self, trainer, **init_options):
        self.trainer = trainer
        self.init_options = init_options
        self.tw = None
        self._losses = []
        original = trainer.compute_loss
        callback = self

        def compute_loss(self, *args, **kwargs):
            result = original(*args, **kwargs)
            loss = result[0] if isinstance(result, tuple) else result
            callback._losses.append(loss.detach())
            return result

        trainer.compute_loss = types.MethodType(compute_loss, trainer)

    def on_train_begin(self, args, state, control, model=None, optimizer=None, **kwargs):
        # on every rank: Trainwatch publishes from rank 0 only (by default) and broadcasts commands
        self.tw = trainwatch.init(model, optimizer or self.trainer.optimizer, **self.init_options)

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        if self.tw is None or not self._losses:
            return
        loss = sum(self._losses) / len(self._losses)
        self._losses = []
        self.tw.step(loss, epoch=int(state.epoch) if state.epoch is not None else None)

    def on_step_end(self, args, state, control, **kwargs):
        if self.tw is not None and self.tw.should_stop:
            control.should_training_stop = True

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self.tw is None or not metrics:
            return
        loss, accuracy = metrics.get("eval_loss"), metrics.get("eval_accuracy")
        if loss is not None or accuracy is not None:
            self.tw.validation(loss=loss, accuracy=accuracy)

    def on_train_end(self, args, state, control, **kwargs):
        if self.tw is not None:
            self.tw.finish()
