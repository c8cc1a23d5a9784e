#!/usr/bin/env bash
# Puts Debian's Prometheus (prometheus and promtool, static Go binaries) into the user's cache,
# ~/.cache/bosun/prometheus/ (BOSUN_PROMETHEUS_DIR to choose), from Debian's package archive with
# `apt-get download` and `dpkg-deb -x`: no root needed unless the package lists are missing
# (then `apt-get update` as root). Idempotent; prints the folder with the two binaries.
# Used by infra/setup.sh and by the tests that run Prometheus (test/prometheus.test.ts).
set -euo pipefail
QUIET=0
[[ "${1:-}" == "--quiet" ]] && QUIET=1
say() { [[ $QUIET == 1 ]] || echo "prometheus: $*" >&2; }

DIR="${BOSUN_PROMETHEUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bosun/prometheus}"
BIN="$DIR/usr/bin"
if [[ -x "$BIN/prometheus" && -x "$BIN/promtool" ]]; then
  echo "$BIN"
  exit 0
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "prometheus: apt-get and dpkg-deb are needed to fetch Debian's prometheus package" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fetch() { (cd "$work" && apt-get download prometheus >/dev/null 2>&1); }
if ! fetch; then
  if [[ $(id -u) == 0 ]]; then
    say "no package list yet: apt-get update"
    apt-get update -qq >/dev/null
    fetch
  else
    echo "prometheus: apt-get download prometheus failed; run 'sudo apt-get update' once, or install prometheus" >&2
    exit 1
  fi
fi
deb="$(ls "$work"/prometheus_*.deb)"
say "unpacking $(basename "$deb") into $DIR"
mkdir -p "$work/x"
dpkg-deb -x "$deb" "$work/x"
mkdir -p "$DIR"
rm -rf "$DIR/usr"
mv "$work/x/usr" "$DIR/usr"
"$BIN/promtool" --version >/dev/null
echo "$BIN"
