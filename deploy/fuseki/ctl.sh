#!/usr/bin/env bash
# Apache Jena Fuseki 5.6 for fairgrid's tests and CI: a second real SPARQL 1.1 engine for the record
# store, built from Maven Central (see pom.xml). Two datasets, both wiped at every start (a test node):
#   $url/mem   in memory (transactional)      query: $url/mem/query   update: $url/mem/update
#   $url/tdb2  TDB2 on disk under deploy/.run query: $url/tdb2/query  update: $url/tdb2/update
# fairgrid takes a query endpoint as FAIRGRID_STORE_URL and sends updates to its `update` sibling.
# Usage: deploy/fuseki/ctl.sh start|stop|status|restart
# Env: FAIRGRID_FUSEKI_PORT (default 3330), FAIRGRID_FUSEKI_START_TIMEOUT (seconds, default 60),
#      FAIRGRID_FUSEKI_HEAP (default 512m).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="$root/deploy/.run/fuseki"
pidfile="$run/node.pid"
log="$run/node.log"
port="${FAIRGRID_FUSEKI_PORT:-3330}"
timeout="${FAIRGRID_FUSEKI_START_TIMEOUT:-60}"
heap="${FAIRGRID_FUSEKI_HEAP:-512m}"
url="http://127.0.0.1:$port"
node_name=fuseki
# shellcheck source-path=SCRIPTDIR source=../lib/node.sh
. "$here/../lib/node.sh"

# Fuseki has no cluster health: it is healthy when both datasets answer a query.
healthy() {
  local ds
  for ds in mem tdb2; do
    curl -fsS --max-time 3 -o /dev/null "$url/$ds/query?query=ASK%7B%7D" 2>/dev/null || return 1
  done
}

# Another server on the port need not have our datasets, nor answer 2xx at / (Fuseki itself answers 404):
# any HTTP answer counts.
answering() { curl -sS --max-time 2 -o /dev/null "$url/" 2>/dev/null; }

check_tools() {
  command -v java >/dev/null || die "java not found; install a Java 17 JDK (e.g. openjdk-17-jdk)"
  need_java "$(command -v java)" 17
  command -v mvn >/dev/null || die "mvn not found; install Maven 3.8+"
  command -v curl >/dev/null || die "curl not found"
}

build() {
  local stamp="$here/target/classpath.txt"
  [ -f "$stamp" ] && [ "$stamp" -nt "$here/pom.xml" ] && return 0
  echo "fuseki: resolving the classpath (first run downloads ~40 MB from Maven Central)" >&2
  (cd "$here" && maven "$run/build.log" "maven build failed" generate-resources)
  [ -f "$stamp" ] || die "build produced no $stamp"
  touch "$stamp"
}

write_config() {
  # The TDB2 location is written into Turtle: refuse a path that would need escaping there.
  # shellcheck disable=SC1003  # '\' is a backslash, not an escaped quote
  case "$run" in *'"'* | *'\'*) die "the checkout path must not contain quotes or backslashes: $run" ;; esac
  cat >"$run/config.ttl" <<TTL
PREFIX fuseki: <http://jena.apache.org/fuseki#>
PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX ja:     <http://jena.hpl.hp.com/2005/11/Assembler#>
PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>

[] rdf:type fuseki:Server .

<#mem> rdf:type fuseki:Service ;
  fuseki:name "mem" ;
  fuseki:endpoint [ fuseki:operation fuseki:query ; fuseki:name "query" ] ;
  fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name "update" ] ;
  fuseki:dataset [ rdf:type ja:MemoryDataset ] .

<#tdb2> rdf:type fuseki:Service ;
  fuseki:name "tdb2" ;
  fuseki:endpoint [ fuseki:operation fuseki:query ; fuseki:name "query" ] ;
  fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name "update" ] ;
  fuseki:dataset [ rdf:type tdb2:DatasetTDB2 ; tdb2:location "$run/tdb2" ] .
TTL
  worker_datasets >>"$run/config.ttl"
}

# A copy of each dataset per pytest-xdist worker (mem-gw0, tdb2-gw0, mem-gw1, ...: tests/fuseki.py), so
# the workers of one test run do not take turns on one dataset; FAIRGRID_FUSEKI_WORKERS copies (default
# 8; workers beyond those share `mem` and `tdb2`).
worker_datasets() {
  local n="${FAIRGRID_FUSEKI_WORKERS:-8}" i
  case "$n" in '' | *[!0-9]*) die "FAIRGRID_FUSEKI_WORKERS must be a number (got '$n')" ;; esac
  rm -rf "$run"/tdb2-gw*
  for ((i = 0; i < n; i++)); do
    cat <<TTL

<#mem-gw$i> rdf:type fuseki:Service ;
  fuseki:name "mem-gw$i" ;
  fuseki:endpoint [ fuseki:operation fuseki:query ; fuseki:name "query" ] ;
  fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name "update" ] ;
  fuseki:dataset [ rdf:type ja:MemoryDataset ] .

<#tdb2-gw$i> rdf:type fuseki:Service ;
  fuseki:name "tdb2-gw$i" ;
  fuseki:endpoint [ fuseki:operation fuseki:query ; fuseki:name "query" ] ;
  fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name "update" ] ;
  fuseki:dataset [ rdf:type tdb2:DatasetTDB2 ; tdb2:location "$run/tdb2-gw$i" ] .
TTL
  done
}

up() {
  wait_healthy "$1" 0.5
  echo "fuseki: up at $url (datasets /mem and /tdb2; pid $1, ${started_after}s)"
}

start() {
  mkdir -p "$run"
  already_running && return 0
  check_tools
  build
  rm -rf "$run/tdb2" && write_config
  forget_pids
  # Started directly (no wrapper shell), so $! is the JVM's own pid and stop() can signal it.
  nohup java -Xms128m "-Xmx$heap" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djava.io.tmpdir="$run" \
    -Dlog4j.configurationFile="$here/log4j2.properties" \
    -cp "$(cat "$here/target/classpath.txt")" org.apache.jena.fuseki.main.cmds.FusekiMainCmd \
    --localhost --port "$port" --config "$run/config.ttl" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pidfile"
  up "$pid"
}

node_main "$@"
