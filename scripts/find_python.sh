#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8–3.10 only).
# Order: $PYTHON, pyenv's version from .python-version, python3.10 on PATH.
set -eu
want="$(cat "$(dirname "$0")/../.python-version" 2>/dev/null || echo 3.10)"
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
for candidate in "${PYTHON:-}" \
    "$(command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)/versions/$want/bin/python" \
    "${PYENV_ROOT:-$HOME/.pyenv}/versions/$want/bin/python" \
    "$(command -v python3.10 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && ok "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done
cat >&2 <<MSG
No Python 3.10 found. Rasa 3.6 runs on Python 3.8–3.10 only.
Install one of:
  pyenv install $want        (then run make again), or
  apt-get install python3.10 python3.10-venv, or
  set PYTHON=/path/to/python3.10
MSG
exit 1
