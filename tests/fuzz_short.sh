#!/usr/bin/env bash
# fuzz_short.sh - make check's share of fuzzing: build every libFuzzer
# target, replay its past crashes, and fuzz it for FUZZ_SECONDS (15 s; a
# target with FUZZ_NAME_SHARE N in Filelists.mk for 15 / N s) from its
# seeds. PASS:/FAIL: lines (with executions) come from fuzz/run-fuzz.sh.
cd "$(dirname "$0")/.." || exit 1
exec make --no-print-directory -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
