"""Performance benchmark of the assistant (`make bench`): see bench/README.md."""
