#!/usr/bin/env bash
# Every VS Code end-to-end scenario against GradGuard's server; screenshots go to docs/img.
# Run setup.sh first (same PREFIX). Exit status 0 when all passed.
HERE="$(cd "$(dirname "$0")" && pwd)"
rc=0
for scenario in gradguard missing untrusted; do
  if [ "$scenario" = gradguard ]; then shots="${SCREENSHOTS_DIR:-}"; else shots=""; fi
  SERVER=$scenario SCREENSHOTS_DIR="$shots" WORK="" "$HERE/run.sh" || rc=1
done
exit $rc
