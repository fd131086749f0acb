"""Evaluation of the novelty analysis on public labelled data (EVALUATION.md)."""
