#!/usr/bin/env bash
# Starts the services the test suite needs, runs the given command, stops again the nodes a test run
# started once no test run uses them.
# Usage: deploy/test-services.sh run CMD...
# Env: FAIRGRID_SERVICES (default "opensearch elasticsearch fuseki") picks the services to start;
#      FAIRGRID_SKIP_SERVICES=1 starts none.
#
# Test runs on one machine (two checkouts, a CI clone beside a developer's `make test`) share the nodes:
# they listen on the same ports. Each run holds a shared lock on a node's users file while it runs; the
# run that finds itself the last user stops a node that a test run started (its ctl.sh is in the owner
# file), whichever run that was. A node started by hand is left running. The command sees the ctl.sh of
# the node it uses as FAIRGRID_<SERVICE>_CTL (a test that restarts the node must use that one).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ "${1:-}" = run ] || { echo "usage: $0 run CMD..." >&2; exit 2; }
shift
lockdir="${TMPDIR:-/tmp}"
declare -A users=() # service -> the fd through which this run holds its users file shared
locks=()            # every fd this script holds a lock through

# CMD... with none of this script's lock fds: a node it starts must not hold a lock for ever.
detached() (
  for fd in "${locks[@]}"; do exec {fd}>&-; done
  exec "$@"
)

# Forget FD in `locks` (it was closed).
drop_lock() {
  local kept=() fd
  for fd in "${locks[@]}"; do [ "$fd" = "$1" ] || kept+=("$fd"); done
  locks=("${kept[@]}")
}

# The users file of a node: per user and URL (runs with other ports use other nodes).
users_file() {
  local url
  url="$("$here/$1/ctl.sh" url)"
  echo "$lockdir/fairgrid-$(id -u)-$1-$(printf %s "$url" | cksum | cut -d' ' -f1).users"
}

# FUNCTION ARGS... under the node's mutex. Start, stop and the owner file change under it, held for a
# moment only: a run's long shared hold on the users file must not keep another run from starting.
with_mutex() {
  local file=$1 fd rc=0
  shift
  exec {fd}>>"$file.mutex"
  flock -x -w 900 "$fd" || { echo "test-services: $file.mutex still held after 900 s" >&2; exit 1; }
  locks+=("$fd")
  "$@" || rc=$?
  drop_lock "$fd"
  exec {fd}>&-
  return $rc
}

owner_of() { [ -s "$1.owner" ] && cat "$1.owner"; }

# Use the running node (a test run's from any checkout, or ours started by hand) or start ours and own
# it; then join its users.
join() {
  local svc=$1 file=$2 owner fd
  if owner="$(owner_of "$file")" && [ -x "$owner" ] && detached "$owner" status >/dev/null 2>&1; then
    echo "$svc: running for another test run ($owner); shared"
  elif detached "$here/$svc/ctl.sh" status >/dev/null 2>&1; then
    rm -f "$file.owner"
    owner="$here/$svc/ctl.sh"
    echo "$svc: already running; left running afterwards"
  else
    rm -f "$file.owner"
    owner="$here/$svc/ctl.sh"
    detached "$owner" start || return 1
    echo "$owner" >"$file.owner"
  fi
  exec {fd}>>"$file"
  flock -s "$fd"
  users[$svc]=$fd
  locks+=("$fd")
  export "FAIRGRID_${svc^^}_CTL=$owner"
}

# After this run let go of its shared hold: the last user stops a node a test run started.
leave() {
  local svc=$1 file=$2 owner fd
  exec {fd}>>"$file"
  if flock -x -n "$fd"; then
    if owner="$(owner_of "$file")"; then
      if [ -x "$owner" ]; then
        detached "$owner" stop || true
      else
        echo "$svc: $owner is gone; stop its node by hand" >&2
      fi
      rm -f "$file.owner"
    fi
  else
    echo "$svc: still used by another test run; left running for it"
  fi
  exec {fd}>&-
}

cleanup() {
  local svc fd file
  for svc in "${!users[@]}"; do
    fd=${users[$svc]}
    exec {fd}>&-
    drop_lock "$fd"
    file="$(users_file "$svc")"
    with_mutex "$file" leave "$svc" "$file" || true
  done
}
trap cleanup EXIT
for svc in ${FAIRGRID_SERVICES:-opensearch elasticsearch fuseki}; do
  if [ -x "$here/$svc/ctl.sh" ] && [ "${FAIRGRID_SKIP_SERVICES:-}" != 1 ]; then
    file="$(users_file "$svc")"
    with_mutex "$file" join "$svc" "$file"
    # The node is up: tests that need it must now fail instead of skipping.
    export "FAIRGRID_REQUIRE_${svc^^}=1"
  fi
done
set +e
detached "$@" # what the command starts must not hold the users files: only this script's holds count
rc=$?
set -e
exit $rc
