"""Danish guidance assistant for municipalities: knowledge base, NLU helpers, launcher, CLI."""

__version__ = "0.1.0"
