"""Shipped model weights (installed as the package ``fiqa_models``); one folder per model."""
