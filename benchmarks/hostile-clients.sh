#!/usr/bin/env bash
# Hostile clients on the camera port beside one real camera: the figures of docs/security.md.
# Build first: ./mvnw -B -o package -DskipTests. Usage: benchmarks/hostile-clients.sh [CONFIG]
# Each attack runs against a fresh `bin/inspect serve` (the demo line on ports 17600/17601,
# no actuators, audit and archive under a temporary directory).
set -euo pipefail
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${1:-$HOME_DIR/configs/demo-line.yaml}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
/usr/bin/python3 - "$CONFIG" "$WORK" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c["ingest"]["port"] = 17600
c.setdefault("admin", {})["port"] = 17601
c["admin"]["tokenFile"] = sys.argv[2] + "/admin.token"
c.pop("actuators", None)
c.setdefault("audit", {})["dir"] = sys.argv[2] + "/audit"
c.setdefault("archive", {})["dir"] = sys.argv[2] + "/archive"
c.setdefault("models", {})["state"] = sys.argv[2] + "/state.json"
yaml.safe_dump(c, open(sys.argv[2] + "/line.yaml", "w"))
PY
run() { # ATTACK COUNT ADDRESSES
  "$HOME_DIR/bin/inspect" serve --config "$WORK/line.yaml" --status-every 0 >"$WORK/service.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 240); do grep -q '^ready:' "$WORK/service.log" && break; sleep 0.5; done
  java -cp "$HOME_DIR/benchmarks/target/benchmarks.jar" io.lineinspect.bench.HostileClients \
    17600 "$pid" "$@" "${SECONDS_PER_RUN:-10}" "${FPS:-20}"
  kill "$pid"; wait "$pid" || true
}
[ -n "${ONLY:-}" ] && { run $ONLY; exit; }
run none 0 1
run idle 1000 1
run partial 640 1
run partial 640 40
run flood 1 1
run flood 8 8
run slow 50 1
