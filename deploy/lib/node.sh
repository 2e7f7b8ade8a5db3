# Shared by the test servers' ctl.sh scripts (sourced, not run). The script sets `node_name`, `url`,
# `log` and `timeout` and defines `running_pid`, `start`, `stop` and `start_failed PID` (what a failed
# start leaves to clean up); this file adds the health check (a script may define its own after sourcing),
# `wait_healthy`, `status`, `die` and the command line.

die() { echo "$node_name: $*" >&2; exit 1; }

healthy() {
  curl -fsS --max-time 3 "$url/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null \
    | grep -qE '"status":"(green|yellow)"'
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
  started_after=$((SECONDS - t0))
}

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
    *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
  esac
}
