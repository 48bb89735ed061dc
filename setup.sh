#!/usr/bin/env bash
# Set up derive on Debian/Ubuntu: TeX Live (when pdflatex is missing), Chromium (for the HTML
# tests; when missing), a virtual environment in .venv with derive and its test tools, then
# write the HW5 answer key.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

if ! command -v pdflatex >/dev/null || ! command -v pdftoppm >/dev/null; then
  apt_install texlive-latex-base texlive-latex-recommended texlive-pictures texlive-fonts-recommended \
    poppler-utils
fi
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  # Only the tests need it (the HTML key is checked in a real headless browser).
  apt_install chromium fonts-lmodern || echo "setup.sh: could not install chromium; the browser tests will be skipped" >&2
fi
if ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "derive needs Python 3.11 or newer" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv 2>/dev/null || { apt_install python3-venv; python3 -m venv .venv; }
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/python -m compileall -q derive          # byte code now, not on every first run

.venv/bin/derive solutions --format latex
.venv/bin/derive solutions --format pdf
