#!/usr/bin/env bash
# Run every test layer, go on after a failure, and finish with one summary line.
# TEST_LAYERS="unit lint" narrows the run (the summary says which layers ran).
set -uo pipefail
layers=(${TEST_LAYERS:-unit lint sanity integration integration-paramiko molecule})
passed=0; failed=0; report=()
mkdir -p .build/test-logs
for layer in "${layers[@]}"; do
  echo "=== layer: $layer"
  start=$(date +%s)
  if make --no-print-directory "$layer" 2>&1 | tee ".build/test-logs/$layer.log"; then
    result=passed; passed=$((passed + 1))
  else
    result=FAILED; failed=$((failed + 1))
  fi
  report+=("$(printf '%-12s %-7s %4ss' "$layer" "$result" $(( $(date +%s) - start )))")
  echo "=== layer: $layer $result"
done
echo
echo "Test layers (logs in .build/test-logs/):"
printf '  %s\n' "${report[@]}"
echo "layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
