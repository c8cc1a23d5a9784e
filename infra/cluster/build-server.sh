#!/usr/bin/env bash
# Builds (or reuses) the pinned Temporal server and its SQL tool from the Go module proxy.
#
# The Go module that pulls them in is written here, at build time, into a cache folder
# outside git: nothing of Temporal's code (sources, go.sum, vendor) is ever committed.
# A second run finds both binaries and returns in well under a second.
#
# usage: build-server.sh [CACHE_DIR]   (prints the folder holding bin/temporal-server)
set -euo pipefail

VERSION="v1.32.1" # v1.32.2 needs a newer Go toolchain than the machine's
CACHE_DIR="${1:-${HOME}/.cache/bosun/temporal-server-${VERSION}}"
BIN_DIR="${CACHE_DIR}/bin"
STAMP="${BIN_DIR}/.built-${VERSION}"

if [[ -x "${BIN_DIR}/temporal-server" && -x "${BIN_DIR}/temporal-sql-tool" && -f "${STAMP}" ]]; then
  echo "${CACHE_DIR}"
  exit 0
fi

command -v go >/dev/null || { echo "build-server: no Go toolchain on PATH (needs Go >= 1.25)" >&2; exit 1; }

MOD_DIR="${CACHE_DIR}/module"
mkdir -p "${MOD_DIR}" "${BIN_DIR}"
cat >"${MOD_DIR}/go.mod" <<GOMOD
module bosun.local/temporal-server

go 1.25
GOMOD
# The tools pattern: both commands are main packages, so they are required, never compiled here.
cat >"${MOD_DIR}/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
GO

cd "${MOD_DIR}"
# Never let Go fetch another toolchain: the machine's Go builds this version.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
started=$(date +%s)
echo "build-server: fetching go.temporal.io/server@${VERSION} from the module proxy" >&2
go get "go.temporal.io/server@${VERSION}" >&2
go mod tidy >&2
echo "build-server: compiling (several minutes on 2 cores the first time)" >&2
go build -trimpath -ldflags "-s -w" -o "${BIN_DIR}/temporal-server.tmp" go.temporal.io/server/cmd/server >&2
go build -trimpath -ldflags "-s -w" -o "${BIN_DIR}/temporal-sql-tool.tmp" go.temporal.io/server/cmd/tools/sql >&2
mv "${BIN_DIR}/temporal-server.tmp" "${BIN_DIR}/temporal-server"
mv "${BIN_DIR}/temporal-sql-tool.tmp" "${BIN_DIR}/temporal-sql-tool"
echo "built in $(( $(date +%s) - started )) s with $(go version)" >"${STAMP}"
echo "build-server: built in $(( $(date +%s) - started )) s" >&2
echo "${CACHE_DIR}"
