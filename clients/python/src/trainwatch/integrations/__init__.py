"""Thin adapters for training frameworks, imported only where the framework is installed:
``trainwatch.integrations.lightning.TrainwatchCallback`` (PyTorch Lightning) and
``trainwatch.integrations.huggingface.TrainwatchCallback`` (Hugging Face transformers). Neither framework
is installable on the machines these were written on: they are recipes, not tested code."""
