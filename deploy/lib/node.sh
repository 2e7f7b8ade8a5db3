# shellcheck shell=bash
# Shared by the test servers' ctl.sh scripts (sourced, not run). The script sets `node_name`, `url`,
# `run`, `pidfile`, `log` and `timeout` and defines `start` and `up PID` (wait_healthy, then say what
# came up); this file adds the rest. The defaults below suit a node that is one process whose pid is in
# `$pidfile`; a script redefines, after sourcing, what differs for its node: `healthy`, `answering`
# (something, ours or not, answers at $url), `running_pid`, `forget_pids` (remove the pid files),
# `start_failed PID` (what a failed start leaves to clean up) or `stop`.
# shellcheck disable=SC2154  # node_name, url, run, pidfile, log, timeout: set by the script

die() { echo "$node_name: $*" >&2; exit 1; }

healthy() {
  curl -fsS --max-time 3 "$url/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null \
    | grep -qE '"status":"(green|yellow)"'
}

answering() { healthy; }

# The pid in file $1 while that process is alive; fails, printing nothing, otherwise.
alive() {
  local pid
  [ -f "$1" ] && pid="$(cat "$1")" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

running_pid() { alive "$pidfile"; }

forget_pids() { rm -f "$pidfile"; }

start_failed() { kill "$1" 2>/dev/null || true; forget_pids; }

# A property of the JVM at $1 (java.home, java.specification.version, ...).
java_property() { "$1" -XshowSettings:properties -version 2>&1 | sed -n "s/^ *$2 = //p"; }

# Dies unless the java at $1 is Java $2 or newer; $3: what needs it (for the message).
need_java() {
  local v; v="$(java_property "$1" java.specification.version)"
  [ "${v%%.*}" -ge "$2" ] 2>/dev/null || die "Java $2 or newer is required${3:+ for $3} (found '${v:-unknown}' at $1)"
}

# maven LOG WHAT ARGS...: `mvn -q -B ARGS` in the current folder, offline first (fast, and works without
# network once ~/.m2 holds what it needs), online as the fallback; output to LOG. When both fail, dies
# with the log's tail and "WHAT (log: LOG)".
maven() {
  local out=$1 what=$2; shift 2
  mvn -q -B -o "$@" >"$out" 2>&1 && return 0
  mvn -q -B "$@" >"$out" 2>&1 || { tail -n 40 "$out" >&2; die "$what (log: $out)"; }
}

# The first step of `start`: succeeds when our node is already running, or comes up (another invocation
# is starting it: wait for it rather than start a second node); fails when this call is to start one;
# dies when something else answers at $url.
already_running() {
  local pid
  if pid="$(running_pid)"; then
    healthy && { echo "$node_name: already running (pid $pid) at $url"; return 0; }
    up "$pid"
    return 0
  fi
  if answering; then
    die "something else already answers at $url; stop it or set FAIRGRID_${node_name^^}_PORT"
  fi
  return 1
}

# Until `healthy`, or fail (after start_failed) when the process dies or `timeout` seconds pass.
# $2: seconds between checks. Prints nothing on success: the script says what came up.
wait_healthy() {
  local pid=$1 every=${2:-1} t0=$SECONDS
  while ! healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 60 "$log" >&2
      start_failed "$pid"
      die "exited during start-up (log: $log)"
    fi
    if [ $((SECONDS - t0)) -ge "$timeout" ]; then
      tail -n 60 "$log" >&2
      start_failed "$pid"
      die "not healthy at $url after ${timeout}s (log: $log)"
    fi
    sleep "$every"
  done
  # shellcheck disable=SC2034  # read by the script's `up`
  started_after=$((SECONDS - t0))
}

# stop_pids PID...: SIGTERM to the first pid, then up to 30 s for all of them to exit, SIGKILL to all
# after that; empty arguments are dropped, and with none left the node is not running. Forgets the pid
# files in every case.
stop_pids() {
  local pids=() p
  for p in "$@"; do
    if [ -n "$p" ]; then pids+=("$p"); fi
  done
  if [ ${#pids[@]} -eq 0 ]; then
    forget_pids
    echo "$node_name: not running"
    return 0
  fi
  kill "${pids[0]}" 2>/dev/null || true
  for _ in $(seq 1 30); do
    # kill succeeds when it could signal at least one of them: while any is alive.
    if ! kill -0 "${pids[@]}" 2>/dev/null; then
      forget_pids; echo "$node_name: stopped"; return 0
    fi
    sleep 1
  done
  echo "$node_name: pid ${pids[*]} did not stop in 30s; killing it" >&2
  kill -9 "${pids[@]}" 2>/dev/null || true
  forget_pids
}

stop() { stop_pids "$(running_pid || true)"; }

status() {
  local pid
  if pid="$(running_pid)"; then
    if healthy; then echo "$node_name: running (pid $pid) at $url"; return 0; fi
    echo "$node_name: pid $pid alive but not healthy at $url"; return 1
  fi
  echo "$node_name: not running"; return 3
}

node_main() {
  case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    restart) stop; start ;;
    url) echo "$url" ;;
    *) echo "usage: $0 start|stop|status|restart|url" >&2; exit 2 ;;
  esac
}
