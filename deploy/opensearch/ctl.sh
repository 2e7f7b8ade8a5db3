#!/usr/bin/env bash
# Single-node OpenSearch 2.19 for fairgrid's tests and CI, built from Maven Central (see pom.xml).
# Usage: deploy/opensearch/ctl.sh start|stop|status|restart
# Env: FAIRGRID_OPENSEARCH_PORT (HTTP, default 9250), FAIRGRID_OPENSEARCH_TRANSPORT_PORT (default 9350),
#      FAIRGRID_OPENSEARCH_START_TIMEOUT (seconds, default 180), FAIRGRID_OPENSEARCH_HEAP (default 1g).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="$root/deploy/.run/opensearch"
pidfile="$run/node.pid"
log="$run/node.log"
port="${FAIRGRID_OPENSEARCH_PORT:-9250}"
tport="${FAIRGRID_OPENSEARCH_TRANSPORT_PORT:-9350}"
timeout="${FAIRGRID_OPENSEARCH_START_TIMEOUT:-180}"
heap="${FAIRGRID_OPENSEARCH_HEAP:-1g}"
url="http://127.0.0.1:$port"
node_name=opensearch
# shellcheck source=../lib/node.sh
. "$here/../lib/node.sh"

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

check_tools() {
  command -v java >/dev/null || die "java not found; install a Java 17 JDK (e.g. openjdk-17-jdk)"
  local v; v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "Java 17 or newer is required (found '${v:-unknown}')"
  command -v mvn >/dev/null || die "mvn not found; install Maven 3.8+"
  command -v javac >/dev/null || die "javac not found; install a JDK, not only a JRE"
  command -v curl >/dev/null || die "curl not found"
}

build() {
  local stamp="$here/target/classpath.txt"
  # Rebuild when the pom or the launcher sources are newer than the last build.
  if [ -f "$stamp" ] && [ -z "$(find "$here/pom.xml" "$here/src" -newer "$stamp" -type f 2>/dev/null)" ]; then
    return 0
  fi
  echo "opensearch: building the launcher (first run downloads ~100 MB from Maven Central)" >&2
  # Offline first: fast and works without network once ~/.m2 is warm; online as the fallback.
  if ! (cd "$here" && mvn -q -B -o compile >"$run/build.log" 2>&1); then
    (cd "$here" && mvn -q -B compile >"$run/build.log" 2>&1) \
      || { tail -n 40 "$run/build.log" >&2; die "maven build failed (log: $run/build.log)"; }
  fi
  [ -f "$stamp" ] || die "build produced no $stamp"
  touch "$stamp"
}

start_failed() { kill "$1" 2>/dev/null || true; rm -f "$pidfile"; }

up() {
  wait_healthy "$1"
  echo "opensearch: up at $url (pid $1, ${started_after}s)"
}

start() {
  mkdir -p "$run"
  local pid
  if pid="$(running_pid)"; then
    # Running, or still starting from another invocation: wait for it rather than start a second node.
    healthy && { echo "opensearch: already running (pid $pid) at $url"; return 0; }
    up "$pid"
    return 0
  fi
  if healthy; then
    die "something else already answers at $url; stop it or set FAIRGRID_OPENSEARCH_PORT"
  fi
  check_tools
  build
  local cp; cp="$here/target/classes:$(cat "$here/target/classpath.txt")"
  rm -f "$pidfile"
  # Started directly (no wrapper shell), so $! is the JVM's own pid and stop() can signal it.
  nohup java -Xms512m "-Xmx$heap" -XX:+UseSerialGC -Xss1m \
    -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djava.io.tmpdir="$run" \
    -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
    -Dopensearch.set.netty.runtime.available.processors=false \
    -Des.set.netty.runtime.available.processors=false \
    -Dio.netty.allocator.numDirectArenas=0 \
    -cp "$cp" org.fairgrid.opensearch.TestNode "$run/home" "$port" "$tport" >"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  up "$pid"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pidfile"
    echo "opensearch: not running"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "opensearch: stopped"; return 0; }
    sleep 1
  done
  echo "opensearch: pid $pid did not stop in 30s; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

node_main "$@"
