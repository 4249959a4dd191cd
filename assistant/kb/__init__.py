"""Knowledge base: SQL models, YAML validation and loading, and search."""
