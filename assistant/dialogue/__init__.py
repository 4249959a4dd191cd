"""Dialogue logic behind the Rasa actions: answers composed from the knowledge base."""
