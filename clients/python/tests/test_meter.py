"""The measurements without a broker: layers, accuracy, the optimizer probe on both hook paths."""

import math
import warnings

import torch

from trainwatch.meter import Layers, UpdateProbe, correct_count, measure_step


class HookedSGD(torch.optim.SGD):
    """SGD with the step hooks of PyTorch 2.x (register_step_pre_hook / register_step_post_hook), for the
    probe's path on versions newer than the one installed here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pre, self.post = [], []

    def register_step_pre_hook(self, hook):
        return _Handle(self.pre, hook)

    def register_step_post_hook(self, hook):
        return _Handle(self.post, hook)

    def step(self, closure=None):
        for h in list(self.pre):
            h(self, (), {})
        result = super().step(closure)
        for h in list(self.post):
            h(self, (), {})
        return result


class _Handle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook
        hooks.append(hook)

    def remove(self):
        self.hooks.remove(self.hook)


def model_and_grads(optimizer_class):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    opt = optimizer_class(model.parameters(), lr=0.5)
    return model, opt


def one_step(model, opt):
    x, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    torch.nn.functional.cross_entropy(model(x), y).backward()
    before = [p.detach().clone() for p in model.parameters()]
    opt.step()
    opt.zero_grad()
    return before


def expected_ratios(model, before):
    params = list(model.parameters())
    out = []
    for layer in ((0, 1), (2, 3)):
        p = math.sqrt(sum(float(before[i].double().pow(2).sum()) for i in layer))
        u = math.sqrt(sum(float((params[i].detach().double() - before[i].double()).pow(2).sum()) for i in layer))
        out.append((p, u / p))
    return out


def test_probe_uses_the_optimizer_hooks_where_they_exist_and_measures_every_nth_step():
    model, opt = model_and_grads(HookedSGD)
    results = []
    probe = UpdateProbe(Layers(model), opt, 2, lambda i, p, r: results.append((i, p, r)))
    assert len(opt.pre) == 1 and "step" not in vars(opt)     # hooks, no wrapper
    measured = []
    for _ in range(4):
        measured.append(one_step(model, opt))
    assert [r[0] for r in results] == [0, 2]
    probe.remove()
    assert opt.pre == [] and opt.post == []
    # the values, with a fresh probe measuring every step
    results.clear()
    probe = UpdateProbe(Layers(model), opt, 1, lambda i, p, r: results.append((i, p, r)))
    before = one_step(model, opt)
    (_, param, ratios), = results
    for (p, r), want in zip(zip(param, ratios), expected_ratios(model, before)):
        assert math.isclose(p, want[0], rel_tol=1e-5) and math.isclose(r, want[1], rel_tol=1e-4)
    probe.remove()


def test_probe_wraps_step_on_older_pytorch_and_a_later_lr_scheduler_still_works():
    model, opt = model_and_grads(torch.optim.SGD)
    results = []
    probe = UpdateProbe(Layers(model), opt, 1, lambda i, p, r: results.append((i, p, r)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # no "lr_scheduler.step() before optimizer.step()" warning
        scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        before = one_step(model, opt)
        scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.25
    assert [r[0] for r in results] == [0]
    for (p, r), want in zip(zip(results[0][1], results[0][2]), expected_ratios(model, before)):
        assert math.isclose(p, want[0], rel_tol=1e-5) and math.isclose(r, want[1], rel_tol=1e-4)
    probe.remove()   # the scheduler wrapped the probe's wrapper: it stays, and measures nothing more
    one_step(model, opt)
    assert len(results) == 1


def test_layers_are_modules_owning_trainable_parameters_in_named_modules_order():
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(10, 4)
            self.out = torch.nn.Linear(4, 10, bias=False)
            self.out.weight = self.embed.weight       # tied: counted once, in its first owner
            self.norm = torch.nn.BatchNorm1d(4)

    layers = Layers(Tied())
    assert layers.names == ["embed", "norm"]
    assert [d["type"] for d in layers.describe()] == ["Embedding", "BatchNorm1d"]
    assert layers.describe()[0]["nIn"] == 10 and layers.describe()[0]["nOut"] == 4


def test_accuracy_for_class_indices_one_hot_and_a_single_logit():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert correct_count(logits, torch.tensor([0, 1, 1]))[0].item() == 2
    assert correct_count(logits, torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]))[0].item() == 2
    assert correct_count(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0]))[0].item() == 2
    assert correct_count(torch.randn(3, 4, 5), torch.zeros(3))[0] is None     # not a classification shape


def test_a_layer_without_gradients_is_left_out_and_nan_survives():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    layers = Layers(model)
    model[1].weight.grad = torch.full((2, 2), float("nan"))
    m = measure_step(layers, torch.tensor(float("inf")), None, None)
    total, per_layer = m.grad_norms(layers)
    assert m.loss == math.inf
    assert per_layer[0] is None and math.isnan(per_layer[1])
    assert math.isnan(total)


def test_a_scheduler_created_before_the_probe_does_not_warn_either():
    model, opt = model_and_grads(torch.optim.SGD)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    results = []
    probe = UpdateProbe(Layers(model), opt, 1, lambda i, p, r: results.append(i))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one_step(model, opt)
        scheduler.step()
    assert results == [0] and opt.param_groups[0]["lr"] == 0.25
    probe.remove()
