"""Tests of the staff tools (assistant/staff)."""
