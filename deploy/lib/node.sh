# Shared by the single-node search engines' ctl.sh scripts (sourced, not run). The script sets
# `node_name` and `url` and defines `running_pid`, `start` and `stop`; this file adds the health check,
# `status`, `die` and the command line.

die() { echo "$node_name: $*" >&2; exit 1; }

healthy() {
  curl -fsS --max-time 3 "$url/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null \
    | grep -qE '"status":"(green|yellow)"'
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
