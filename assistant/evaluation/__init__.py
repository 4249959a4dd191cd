"""Evaluation commands that write reports to reports/ (never timed unit tests)."""
