"""Per-step measurements of a PyTorch model: loss, batch accuracy, gradient, parameter and update norms.

What it measures and what it costs. A *layer* is a module that owns parameters directly (for ordinary
models: the leaf modules with parameters), named as ``model.named_modules()`` names it, in that order
(input side first for a sequential model). Every step: the loss, the batch accuracy (when logits and
targets are given), the L2 norm of each parameter's ``.grad`` combined per layer, and the global norm over
all of them. ``.grad`` is the gradient of the loss as computed, so with the default ``reduction="mean"``
it is the gradient of the mean over the batch, the contract's definition. Every ``param_every`` steps
also the parameter norm of each layer *before* the optimizer's update and the update:parameter ratio
``||p_after - p_before|| / ||p_before||`` per layer, read around ``optimizer.step()`` (see
``UpdateProbe``). One norm kernel per parameter tensor, then a single ``torch.stack(...).tolist()``:
one device synchronisation per step, whatever the number of layers. Measured costs are in the package
README (overhead benchmark).
"""

import math
import types

import torch


class Layers:
    """The model's layers (modules that own trainable parameters) and their parameters, fixed at init."""

    def __init__(self, model):
        model = unwrap(model)
        self.names = []
        self.modules = []
        self.params = []          # every trainable parameter, in layer order
        self.layer_of_param = []  # index into names, per parameter
        seen = set()
        for name, module in model.named_modules():
            own = [p for p in module.parameters(recurse=False) if p.requires_grad and id(p) not in seen]
            if not own:
                continue
            seen.update(id(p) for p in own)
            layer = len(self.names)
            self.names.append(name or "root")
            self.modules.append(module)
            for p in own:
                self.params.append(p)
                self.layer_of_param.append(layer)

    def describe(self):
        """run-started's config.layers: name, type (the module's class) and, where known, nIn and nOut."""
        out = []
        for name, module in zip(self.names, self.modules):
            info = {"name": name, "type": type(module).__name__}
            for n_in, n_out in (("in_features", "out_features"), ("in_channels", "out_channels"),
                                ("num_embeddings", "embedding_dim")):
                if isinstance(getattr(module, n_in, None), int) and isinstance(getattr(module, n_out, None), int):
                    info["nIn"] = getattr(module, n_in)
                    info["nOut"] = getattr(module, n_out)
                    break
            info["parameters"] = sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)
            out.append(info)
        return out

    def combine(self, per_param, present=None):
        """Per-layer L2 norms from per-parameter norms: sqrt of the sum of squares; None where absent."""
        sums = [0.0] * len(self.names)
        have = [False] * len(self.names)
        for i, value in enumerate(per_param):
            if present is not None and not present[i]:
                continue
            layer = self.layer_of_param[i]
            sums[layer] += value * value
            have[layer] = True
        return [math.sqrt(s) if h else None for s, h in zip(sums, have)]


def unwrap(model):
    """The module inside DistributedDataParallel / DataParallel, so that layer names have no 'module.'."""
    inner = getattr(model, "module", None)
    if isinstance(inner, torch.nn.Module) and type(model).__name__ in ("DistributedDataParallel", "DataParallel"):
        return inner
    return model


def _norm(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    return torch.linalg.vector_norm(t)


def scalar_tensor(x):
    return x.reshape(()) if torch.is_tensor(x) else torch.tensor(float(x), dtype=torch.float64)


def correct_count(logits, targets):
    """Number of correctly classified examples as a 0-d tensor, and the batch size; (None, n) when unknown.
    Called under torch.no_grad()."""
    n = targets.shape[0] if targets.dim() > 0 else 1
    if logits.dim() == 2 and logits.shape[1] > 1:
        predicted = logits.argmax(dim=1)
        if targets.dim() == 2 and targets.shape == logits.shape:   # one-hot or soft labels
            targets = targets.argmax(dim=1)
    elif logits.dim() == 1 or (logits.dim() == 2 and logits.shape[1] == 1):   # binary, one logit
        predicted = (logits.reshape(-1) > 0).long()
        targets = targets.reshape(-1)
    else:
        return None, n
    if targets.dim() != 1 or targets.shape[0] != predicted.shape[0]:
        return None, n
    return (predicted == targets.to(predicted.device).long()).sum(), n


class StepMeasure:
    """One step's numbers, read with one synchronisation: loss, accuracy and per-parameter gradient norms.
    Per-layer and global norms are combined later (``grad_norms``), off the training thread."""

    __slots__ = ("loss", "accuracy", "batch", "norms", "present")

    def grad_norms(self, layers):
        """(global norm, per-layer norms with None for layers without a gradient); (None, None) if none."""
        if not self.norms:
            return None, None
        full, it = [], iter(self.norms)
        for has in self.present:
            full.append(next(it) if has else 0.0)
        return math.sqrt(sum(v * v for v in self.norms)), layers.combine(full, self.present)


def measure_step(layers, loss, logits, targets):
    with torch.no_grad():
        return _measure_step(layers, loss, logits, targets)


def _measure_step(layers, loss, logits, targets):
    out = StepMeasure()
    parts = [scalar_tensor(loss)]
    device = parts[0].device
    correct = None
    out.batch = None
    if logits is not None and targets is not None:
        correct, out.batch = correct_count(logits, targets)
        if correct is not None:
            parts.append(correct if correct.device == device else correct.to(device))
    elif targets is not None and torch.is_tensor(targets) and targets.dim() > 0:
        out.batch = targets.shape[0]
    present = []
    for p in layers.params:
        g = p.grad
        if g is None:
            present.append(False)
            continue
        present.append(True)
        n = _norm(g)
        parts.append(n if n.device == device else n.to(device))
    values = torch.stack(parts).tolist() if len(parts) > 1 else [parts[0].item()]
    out.loss = values[0]
    out.accuracy = None
    at = 1
    if correct is not None:
        out.accuracy = values[1] / out.batch if out.batch else None
        at = 2
    out.norms = values[at:]
    out.present = present
    return out


class UpdateProbe:
    """Parameter norms before an optimizer step and the step's update:parameter ratios, every N steps.

    It hooks ``optimizer.step()``: ``register_step_pre_hook``/``register_step_post_hook`` where PyTorch
    has them (2.0 and later); on older versions it wraps the optimizer's bound ``step`` the way PyTorch's
    own LR schedulers do, so a scheduler created later still finds a bound method. Only on a sampled
    step does it copy the parameters (one clone of the model, released after the step).
    """

    def __init__(self, layers, optimizer, every, on_result):
        self.layers = layers
        self.optimizer = optimizer
        self.every = int(every)   # <= 0: never measure, only count optimizer steps
        self.on_result = on_result
        self.steps = 0            # optimizer steps seen
        self._before = None
        self._handles = []
        self._original_step = None
        self._wrapper = None
        if hasattr(optimizer, "register_step_pre_hook") and hasattr(optimizer, "register_step_post_hook"):
            self._handles.append(optimizer.register_step_pre_hook(lambda opt, args, kwargs: self._pre()))
            self._handles.append(optimizer.register_step_post_hook(lambda opt, args, kwargs: self._post()))
        else:
            original = optimizer.step
            probe = self

            def step(opt, *args, **kwargs):
                probe._pre()
                result = original(*args, **kwargs)
                probe._post()
                return result

            if getattr(original, "_with_counter", False):
                # An LR scheduler wrapped step() before us; it checks this mark at each of its steps.
                step._with_counter = True
            self._original_step = original
            self._wrapper = step
            optimizer.step = types.MethodType(step, optimizer)

    def due(self):
        """Whether the next optimizer step will be measured."""
        return self.every > 0 and self.steps % self.every == 0

    def _pre(self):
        try:
            if self.due():
                with torch.no_grad():
                    self._before = [p.detach().clone() for p in self.layers.params]
        except Exception:   # never break the user's optimizer step
            self._before = None

    def _post(self):
        index = self.steps
        self.steps += 1
        before = self._before
        if before is None:
            return
        self._before = None
        try:
            with torch.no_grad():
                parts = []
                for p, b in zip(self.layers.params, before):
                    parts.append(_norm(b))
                    parts.append(_norm(p.detach() - b))
                device = parts[0].device
                values = torch.stack([t if t.device == device else t.to(device) for t in parts]).tolist()
            param = self.layers.combine(values[0::2])
            update = self.layers.combine(values[1::2])
            ratios = [u / q if q > 0 else (0.0 if u == 0 else math.inf) for u, q in zip(update, param)]
            self.on_result(index, param, ratios)
        except Exception:
            pass

    def remove(self):
        """Detaches from the optimizer (a wrapper that others wrapped since stays, measuring nothing)."""
        self.every = 0
        for h in self._handles:
            h.remove()
        self._handles = []
        if self._original_step is not None and getattr(self.optimizer.step, "__func__", None) is self._wrapper:
            self.optimizer.step = self._original_step
        self._original_step = None
