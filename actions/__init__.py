"""Rasa SDK actions: thin wrappers that call into `assistant.dialogue` and `assistant.kb`."""
