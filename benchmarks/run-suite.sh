#!/usr/bin/env bash
# The whole JMH suite with short settings, JSON results in benchmarks/results/suite.json (and the
# console output in benchmarks/results/suite.txt). Extra arguments go to JMH, e.g. a regex to run
# a subset or '-prof gc'. Needs the benchmarks jar:
#   ./mvnw -B -pl benchmarks -am package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=benchmarks/target/benchmarks.jar
if [ ! -f "$JAR" ]; then
  echo "run-suite: $JAR is missing; build it with ./mvnw -B -pl benchmarks -am package -DskipTests" >&2
  exit 2
fi
mkdir -p benchmarks/results
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
if [ -f "$TCMALLOC" ]; then
  export LD_PRELOAD="$TCMALLOC${LD_PRELOAD:+:$LD_PRELOAD}"
fi
java -jar "$JAR" -f 1 -wi 2 -w 1s -i 3 -r 1s -prof gc \
  -jvmArgsAppend "-Dinspect.home=$PWD" \
  -rf json -rff benchmarks/results/suite.json "$@" | tee benchmarks/results/suite.txt
echo "run-suite: JSON in benchmarks/results/suite.json"
