"""Privacy: redaction of personal data, the redacting tracker store, retention purge."""
