#!/usr/bin/env bash
# Regenerate requirements.lock: every runtime and test dependency of pyproject.toml pinned with
# its sha256 hashes (pip-tools' pip-compile, in a throw-away venv). One command after changing
# dependencies in pyproject.toml:   bash scripts/lock.sh
# Install from it:   pip install --require-hashes -r requirements.lock && pip install --no-deps -e .
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q pip-tools
"$tools/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --extra test --no-emit-index-url --no-emit-find-links \
    --output-file requirements.lock pyproject.toml
echo "requirements.lock: $(grep -c '==' requirements.lock) packages pinned with hashes"
