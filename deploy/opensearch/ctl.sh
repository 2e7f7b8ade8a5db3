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
# shellcheck source-path=SCRIPTDIR source=../lib/node.sh
. "$here/../lib/node.sh"

check_tools() {
  command -v java >/dev/null || die "java not found; install a Java 17 JDK (e.g. openjdk-17-jdk)"
  need_java "$(command -v java)" 17
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
  (cd "$here" && maven "$run/build.log" "maven build failed" compile)
  [ -f "$stamp" ] || die "build produced no $stamp"
  touch "$stamp"
}

up() {
  wait_healthy "$1"
  echo "opensearch: up at $url (pid $1, ${started_after}s)"
}

start() {
  mkdir -p "$run"
  already_running && return 0
  check_tools
  build
  local cp; cp="$here/target/classes:$(cat "$here/target/classpath.txt")"
  forget_pids
  # Started directly (no wrapper shell), so $! is the JVM's own pid and stop() can signal it.
  nohup java -Xms512m "-Xmx$heap" -XX:+UseSerialGC -Xss1m \
    -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djava.io.tmpdir="$run" \
    -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
    -Dopensearch.set.netty.runtime.available.processors=false \
    -Des.set.netty.runtime.available.processors=false \
    -Dio.netty.allocator.numDirectArenas=0 \
    -cp "$cp" org.fairgrid.opensearch.TestNode "$run/home" "$port" "$tport" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pidfile"
  up "$pid"
}

node_main "$@"
