"""Training fiqa's own models: data generation, training loops, evaluation (torch inside)."""
