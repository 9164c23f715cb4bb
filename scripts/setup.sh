#!/usr/bin/env bash
# Set up .venv with dlgrade (editable) and its test tools.
#
# PyTorch comes first, and always as a CPU build: a plain `torch` requirement can pull a
# CUDA build of several GB. In order:
#   1. a torch wheel in pip's configured local wheel folder (pip's find-links), if any;
#   2. on Linux, PyTorch's own CPU wheel index (override with DLGRADE_TORCH_INDEX);
#   3. elsewhere (macOS, Windows) the default index, whose wheels there are CPU builds.
# dlgrade's own `torch>=2.2` requirement is then already met and installs nothing more.
# Override the version with DLGRADE_TORCH_VERSION and the interpreter with PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_VERSION=${DLGRADE_TORCH_VERSION:-2.13.0}
TORCH_INDEX=${DLGRADE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }

if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  if pip install --quiet --no-index --no-deps "torch==${TORCH_VERSION}" >/dev/null 2>&1; then
    echo "setup: torch ${TORCH_VERSION} (CPU) from the local wheel folder"
  elif [ "$(uname -s)" = "Linux" ]; then
    pip install --quiet --no-deps "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"
  else
    pip install --quiet --no-deps "torch==${TORCH_VERSION}"
  fi
fi
pip install --quiet -e ".[test,cluster]"
.venv/bin/python -c "import torch, dlgrade; print(f'setup: dlgrade {dlgrade.__version__}, torch {torch.__version__}')"
