#!/usr/bin/env bash
# Builds (or reuses) pinned commands from the Go module proxy: the Temporal server and its SQL
# tool (infra/cluster/server-binary.ts), Jaeger (infra/jaeger/jaeger.ts).
#
# The Go module that pulls them in is written here, at build time, into a cache folder outside
# git: nothing of their code (sources, go.sum, vendor) is ever committed. A second run finds
# every binary and returns in well under a second.
#
# usage: go-binaries.sh NAME MODULE VERSION CACHE_DIR BINARY=PACKAGE...
#   e.g. go-binaries.sh jaeger github.com/jaegertracing/jaeger v1.75.0 ~/.cache/bosun/jaeger-v1.75.0 \
#          jaeger=github.com/jaegertracing/jaeger/cmd/jaeger
# (prints CACHE_DIR, whose bin/ holds each BINARY)
set -euo pipefail

if (( $# < 5 )); then
  echo "usage: go-binaries.sh NAME MODULE VERSION CACHE_DIR BINARY=PACKAGE..." >&2
  exit 2
fi
NAME="$1" MODULE="$2" VERSION="$3" CACHE_DIR="$4"
shift 4
BIN_DIR="${CACHE_DIR}/bin"
STAMP="${BIN_DIR}/.built-${VERSION}"

cached=true
for spec in "$@"; do
  [[ -x "${BIN_DIR}/${spec%%=*}" ]] || cached=false
done
if [[ "${cached}" == true && -f "${STAMP}" ]]; then
  echo "${CACHE_DIR}"
  exit 0
fi

command -v go >/dev/null || { echo "build-${NAME}: no Go toolchain on PATH (needs Go >= 1.25)" >&2; exit 1; }

MOD_DIR="${CACHE_DIR}/module"
mkdir -p "${MOD_DIR}" "${BIN_DIR}"
cat >"${MOD_DIR}/go.mod" <<GOMOD
module bosun.local/${NAME}

go 1.25
GOMOD
# The tools pattern: the commands are main packages, so they are required, never compiled here.
{
  printf '//go:build tools\n\npackage tools\n\nimport (\n'
  for spec in "$@"; do printf '\t_ "%s"\n' "${spec#*=}"; done
  printf ')\n'
} >"${MOD_DIR}/tools.go"

cd "${MOD_DIR}"
# Never let Go fetch another toolchain: the machine's Go builds these versions.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
started=$(date +%s)
echo "build-${NAME}: fetching ${MODULE}@${VERSION} from the module proxy" >&2
go get "${MODULE}@${VERSION}" >&2
go mod tidy >&2
echo "build-${NAME}: compiling (minutes on 2 cores the first time)" >&2
for spec in "$@"; do
  go build -trimpath -ldflags "-s -w" -o "${BIN_DIR}/${spec%%=*}.tmp" "${spec#*=}" >&2
done
for spec in "$@"; do
  mv "${BIN_DIR}/${spec%%=*}.tmp" "${BIN_DIR}/${spec%%=*}"
done
echo "built in $(( $(date +%s) - started )) s with $(go version)" >"${STAMP}"
echo "build-${NAME}: built in $(( $(date +%s) - started )) s" >&2
echo "${CACHE_DIR}"
