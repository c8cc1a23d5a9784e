#!/usr/bin/env bash
# Code comments and test names say what is true now and why: the issue that led to a line, and
# the session that wrote it, belong in commit messages and bench/results/, not in the code.
# Fails, naming each line, when a tracked file other than Markdown, a benchmark result or a
# recorded history mentions an issue number (the word, an optional #, then digits) or session language.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

found=$(git grep -nIiE 'issues?[ -]?#?[0-9]+|last stop|this stop|final code' -- ':!*.md' ':!bench/results' ':!test/histories/*/*.json' ':!.ci/no-issue-numbers.sh')
if [[ -n "$found" ]]; then
  echo "$found"
  echo "comment check failed: the lines above name an issue number or a work session; say what the code does now and why (history lives in commits and bench/results/)"
  exit 1
fi
