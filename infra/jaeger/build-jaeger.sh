#!/usr/bin/env bash
# Builds (or reuses) the pinned Jaeger (v2: the `jaeger` command, an OpenTelemetry Collector
# with Jaeger's OTLP receiver, in-memory storage and query UI) from the Go module proxy, the
# way build-server.sh builds the Temporal server: the Go module that pulls it in is written at
# build time into a cache folder outside git, and a second run returns at once.
#
# usage: build-jaeger.sh [CACHE_DIR]   (prints the folder holding bin/jaeger)
set -euo pipefail

# The module's v1.x tags are Jaeger v2's releases (the module path has no /v2).
VERSION="v1.75.0"
CACHE_DIR="${1:-${HOME}/.cache/bosun/jaeger-${VERSION}}"
BIN_DIR="${CACHE_DIR}/bin"
STAMP="${BIN_DIR}/.built-${VERSION}"

if [[ -x "${BIN_DIR}/jaeger" && -f "${STAMP}" ]]; then
  echo "${CACHE_DIR}"
  exit 0
fi

command -v go >/dev/null || { echo "build-jaeger: no Go toolchain on PATH" >&2; exit 1; }

MOD_DIR="${CACHE_DIR}/module"
mkdir -p "${MOD_DIR}" "${BIN_DIR}"
cat >"${MOD_DIR}/go.mod" <<GOMOD
module bosun.local/jaeger

go 1.25
GOMOD
cat >"${MOD_DIR}/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
GO

cd "${MOD_DIR}"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
started=$(date +%s)
echo "build-jaeger: fetching github.com/jaegertracing/jaeger@${VERSION} from the module proxy" >&2
go get "github.com/jaegertracing/jaeger@${VERSION}" >&2
go mod tidy >&2
echo "build-jaeger: compiling (minutes on 2 cores the first time)" >&2
go build -trimpath -ldflags "-s -w" -o "${BIN_DIR}/jaeger.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2
mv "${BIN_DIR}/jaeger.tmp" "${BIN_DIR}/jaeger"
echo "built in $(( $(date +%s) - started )) s with $(go version)" >"${STAMP}"
echo "build-jaeger: built in $(( $(date +%s) - started )) s" >&2
echo "${CACHE_DIR}"
