#!/usr/bin/env bash
# Single-node Elasticsearch for fairgrid's tests, from the integ-test-zip distribution on Maven Central.
# Usage: deploy/elasticsearch/ctl.sh start|stop|status|restart
# Env: FAIRGRID_ELASTICSEARCH_PORT (HTTP, default 9260), FAIRGRID_ELASTICSEARCH_TRANSPORT_PORT (default 9360),
#      FAIRGRID_ELASTICSEARCH_START_TIMEOUT (seconds, default 180), FAIRGRID_ELASTICSEARCH_HEAP (default 1g),
#      FAIRGRID_ELASTICSEARCH_VERSION (default 8.19.21: the newest integ-test-zip on Maven Central; 9.x is
#      not published there), FAIRGRID_ELASTICSEARCH_JAVA_HOME (default: the JDK of `java` on PATH, 17+),
#      FAIRGRID_ELASTICSEARCH_USER (default fairgrid-es; Elasticsearch refuses to run as root, so when this
#      script runs as root it creates that user and starts the node as it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="$root/deploy/.run/elasticsearch"
version="${FAIRGRID_ELASTICSEARCH_VERSION:-8.19.21}"
home="$run/elasticsearch-$version"
pidfile="$run/node.pid"        # the server JVM, written by Elasticsearch itself (-p)
launcherfile="$run/launcher.pid" # the bin/elasticsearch launcher; alive from start until the node exits
log="$run/node.log"
port="${FAIRGRID_ELASTICSEARCH_PORT:-9260}"
tport="${FAIRGRID_ELASTICSEARCH_TRANSPORT_PORT:-9360}"
timeout="${FAIRGRID_ELASTICSEARCH_START_TIMEOUT:-180}"
heap="${FAIRGRID_ELASTICSEARCH_HEAP:-1g}"
user="${FAIRGRID_ELASTICSEARCH_USER:-fairgrid-es}"
artifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip"
url="http://127.0.0.1:$port"
node_name=elasticsearch
# shellcheck source-path=SCRIPTDIR source=../lib/node.sh
. "$here/../lib/node.sh"

running_pid() { alive "$launcherfile" || alive "$pidfile"; }

forget_pids() { rm -f "$pidfile" "$launcherfile"; }

java_home() {
  if [ -n "${FAIRGRID_ELASTICSEARCH_JAVA_HOME:-}" ]; then echo "$FAIRGRID_ELASTICSEARCH_JAVA_HOME"; return; fi
  command -v java >/dev/null || die "java not found; install a Java 17+ JDK or set FAIRGRID_ELASTICSEARCH_JAVA_HOME"
  java_property java java.home
}

check_tools() {
  command -v curl >/dev/null || die "curl not found"
  command -v unzip >/dev/null || die "unzip not found"
  local jh; jh="$(java_home)"
  [ -x "$jh/bin/java" ] || die "no java at $jh/bin/java"
  # Elasticsearch 8.x runs on 17+, 9.x on 21+.
  local need=17; [ "${version%%.*}" -ge 9 ] && need=21
  need_java "$jh/bin/java" "$need" "$version"
}

fetch() {
  [ -x "$home/bin/elasticsearch" ] && return 0
  command -v mvn >/dev/null || die "mvn not found; install Maven 3.8+"
  echo "elasticsearch: fetching $artifact (~100 MB from Maven Central on first use)" >&2
  rm -rf "$run/dist" "$home"
  maven "$run/fetch.log" "maven could not fetch $artifact" dependency:copy "-Dartifact=$artifact" \
    "-DoutputDirectory=$run/dist"
  unzip -q "$run/dist/elasticsearch-$version.zip" -d "$run" || die "could not unzip the distribution"
  rm -rf "$run/dist"
  [ -x "$home/bin/elasticsearch" ] || die "distribution has no $home/bin/elasticsearch"
}

# Prints the command prefix that runs the node unprivileged (empty when not root).
as_user() {
  [ "$(id -u)" -ne 0 ] && return 0
  if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user" || die "could not create user $user"
  fi
  chown -R "$user:" "$run"
  echo "setpriv --reuid=$user --regid=$user --init-groups --"
}

# The integ-test-zip lacks the analysis-common and rest-root modules (not on Maven Central either): add
# src/ (the "english" analyzer, the token filters fairgrid's analyzer chains, and the `GET /` banner) as one more
# module, compiled against the node's jars.
install_module() {
  local mod="$home/modules/fairgrid-test" jh; jh="$(java_home)"
  if [ -f "$mod/fairgrid-test.jar" ] && [ -z "$(find "$here/src" -newer "$mod/fairgrid-test.jar" -type f)" ]; then
    return 0
  fi
  [ -x "$jh/bin/javac" ] || die "javac not found in $jh; install a JDK, not only a JRE"
  rm -rf "$run/classes" "$mod"
  # shellcheck disable=SC2046
  "$jh/bin/javac" -nowarn -d "$run/classes" -cp "$home/lib/*" $(find "$here/src" -name '*.java') \
    || die "could not compile the test module"
  mkdir -p "$mod"
  "$jh/bin/jar" cf "$mod/fairgrid-test.jar" -C "$run/classes" . || die "could not package the test module"
  cat >"$mod/plugin-descriptor.properties" <<EOF
description=fairgrid test shims: english analyzer, token filters and GET / banner
version=$version
name=fairgrid-test
classname=org.fairgrid.elasticsearch.TestModule
java.version=17
elasticsearch.version=$version
EOF
  rm -rf "$run/classes"
}

# The launcher may have written its pid and the server its own: stop takes both down.
start_failed() { stop >/dev/null 2>&1 || true; forget_pids; }

up() {
  wait_healthy "$1"
  echo "elasticsearch: $version up at $url (pid $(alive "$pidfile" || echo "$1"), ${started_after}s; logs: $run/logs)"
}

start() {
  mkdir -p "$run"
  already_running && return 0
  check_tools
  fetch
  install_module
  mkdir -p "$run/data" "$run/logs" "$run/tmp"
  local jh prefix; jh="$(java_home)"; prefix="$(as_user)"
  forget_pids
  # shellcheck disable=SC2086  # $prefix is a word list on purpose
  ES_JAVA_HOME="$jh" ES_TMPDIR="$run/tmp" ES_JAVA_OPTS="-Xms512m -Xmx$heap" JAVA_HOME="" \
    nohup $prefix "$home/bin/elasticsearch" -p "$pidfile" \
    -Ediscovery.type=single-node -Expack.security.enabled=false \
    -Ecluster.name=fairgrid-test -Enode.name=fairgrid-test -Enetwork.host=127.0.0.1 \
    -Ehttp.port="$port" -Etransport.port="$tport" \
    -Ecluster.routing.allocation.disk.threshold_enabled=false \
    -Epath.data="$run/data" -Epath.logs="$run/logs" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$launcherfile"
  up "$pid"
}

# The server shuts down on SIGTERM and its launcher exits after it; before the pid file exists, stop
# the launcher itself.
stop() { stop_pids "$(alive "$pidfile" || true)" "$(alive "$launcherfile" || true)"; }

node_main "$@"
