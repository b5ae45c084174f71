#!/usr/bin/env bash
# Inference per batch size and preprocessing per frame for the demo model, with tcmalloc on and
# off, JSON results under benchmarks/results/. Needs a built tree (./mvnw -B -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benchmarks/results
JAR=benchmarks/target/benchmarks.jar
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
ARGS=("DemoModelBenchmark|DemoPreprocessBenchmark" -jvmArgsAppend "-Dinspect.home=$PWD" "$@")
echo "== glibc malloc"
java -jar "$JAR" "${ARGS[@]}" -rf json -rff benchmarks/results/demo-model-glibc.json
if [ -f "$TCMALLOC" ]; then
  echo "== tcmalloc"
  LD_PRELOAD="$TCMALLOC" java -jar "$JAR" "${ARGS[@]}" -rf json -rff benchmarks/results/demo-model-tcmalloc.json
else
  echo "tcmalloc not installed (apt-get install libtcmalloc-minimal4): skipped" >&2
fi
