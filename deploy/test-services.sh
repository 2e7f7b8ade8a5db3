#!/usr/bin/env bash
# Starts the services the test suite needs, runs the given command, stops again the ones it started.
# Usage: deploy/test-services.sh run CMD...
# Env: FAIRGRID_SERVICES (default "opensearch elasticsearch fuseki") picks the services to start;
#      FAIRGRID_SKIP_SERVICES=1 starts none.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ "${1:-}" = run ] || { echo "usage: $0 run CMD..." >&2; exit 2; }
shift
started=()
cleanup() { for s in "${started[@]:-}"; do [ -n "$s" ] && "$here/$s" stop || true; done; }
trap cleanup EXIT
for svc in ${FAIRGRID_SERVICES:-opensearch elasticsearch fuseki}; do
  if [ -x "$here/$svc/ctl.sh" ] && [ "${FAIRGRID_SKIP_SERVICES:-}" != 1 ]; then
    # A node that was running already (another test run's, a developer's) is left running at the end.
    if "$here/$svc/ctl.sh" status >/dev/null 2>&1; then
      echo "$svc: already running; left running afterwards"
    else
      "$here/$svc/ctl.sh" start
      started+=("$svc/ctl.sh")
    fi
    # The node is up: tests that need it must now fail instead of skipping.
    export "FAIRGRID_REQUIRE_${svc^^}=1"
  fi
done
set +e
"$@"
rc=$?
set -e
exit $rc
