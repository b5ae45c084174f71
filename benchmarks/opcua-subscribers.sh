#!/usr/bin/env bash
# The line's p99 at 80 % load with 5 OPC UA clients subscribed at 100 ms vs none: the figures of
# docs/opcua.md. Build first: ./mvnw -B -o package -DskipTests.
# Usage: benchmarks/opcua-subscribers.sh [CONFIG]   (env: SECONDS_PER_RUN=20 CLIENTS=5 INTERVAL_MS=100
# ROUNDS=2 RATE=<fps> to skip the search for the highest rate within budget)
# One `bin/inspect serve` (the demo line on ports 17600/17601, OPC UA on 17640 with every verdict
# raised as an event, no actuators, audit under a temporary directory); first loadgen --find-max
# against it, then ROUNDS x (a run without clients, a run with CLIENTS subscribed) at 0.8 x that rate.
set -euo pipefail
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${1:-$HOME_DIR/configs/demo-line.yaml}"
SECS="${SECONDS_PER_RUN:-20}"
CLIENTS="${CLIENTS:-5}"
INTERVAL_MS="${INTERVAL_MS:-100}"
ROUNDS="${ROUNDS:-2}"
WORK="$(mktemp -d)"
trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
/usr/bin/python3 - "$CONFIG" "$WORK" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
w = sys.argv[2]
c["ingest"]["port"] = 17600
c["ingest"]["maxFramesPerSecond"] = 0
c.setdefault("admin", {})["port"] = 17601
c["admin"]["tokenFile"] = w + "/admin.token"
c.pop("actuators", None)
c.setdefault("audit", {})["enabled"] = True
c["audit"]["dir"] = w + "/audit"
c.setdefault("archive", {})["dir"] = w + "/archive"
c.setdefault("models", {})["state"] = w + "/state.json"
c["opcua"] = {"enabled": True, "port": 17640, "dir": w + "/opcua", "events": "all",
              "maxEventsPerSecond": 100000,
              "users": {"engineer": {"role": "engineer", "passwordFile": w + "/opcua/engineer.password"}}}
yaml.safe_dump(c, open(w + "/line.yaml", "w"))
PY
"$HOME_DIR/bin/inspect" serve --config "$WORK/line.yaml" --status-every 0 >"$WORK/service.log" 2>&1 &
PID=$!
for _ in $(seq 1 240); do grep -q '^ready:' "$WORK/service.log" && break; sleep 0.5; done
grep -q '^ready:' "$WORK/service.log" || { cat "$WORK/service.log"; exit 1; }
grep 'opcua: serving' "$WORK/service.log"
loadgen() { "$HOME_DIR/bin/inspect" loadgen --port 17600 --model-seconds 0 --json "$@" | tail -1; }
p99() { /usr/bin/python3 -c 'import json,sys; s=json.loads(sys.stdin.read())["service"]; print("offered %.0f fps, judged %.0f fps, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, fail-safe %d" % (s["offeredFps"], s["judgedFps"], s["latencyP50Ms"], s["latencyP99Ms"], s["latencyP999Ms"], s["failSafe"]))'; }
if [ -z "${RATE:-}" ]; then
  MAX="$(loadgen --find-max --steps 5 --seconds 5 | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["serviceFpsAtBudget"])')"
  RATE="$(/usr/bin/python3 -c "print(round(0.8 * float('$MAX')))")"
  echo "highest rate within budget: $MAX fps; 80 %: $RATE fps"
fi
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r, no OPC UA client:          $(loadgen --rate "$RATE" --seconds "$SECS" | p99)"
  # The clients stand for PLCs and SCADA on other machines: niced here (nice 19), so that the
  # figures show what the server costs the line, not what the clients' JVM costs the machine.
  nice -n 19 java -cp "$HOME_DIR/benchmarks/target/benchmarks.jar" io.lineinspect.bench.OpcUaSubscribers \
    "opc.tcp://127.0.0.1:17640/lineinspect" "$WORK/opcua" "$WORK/opcua/engineer.password" \
    "$CLIENTS" "$INTERVAL_MS" "$((SECS + 8))" >"$WORK/clients.log" 2>&1 &
  CPID=$!
  for _ in $(seq 1 120); do grep -q '^subscribed:' "$WORK/clients.log" && break; sleep 0.5; done
  grep -q '^subscribed:' "$WORK/clients.log" || { cat "$WORK/clients.log"; exit 1; }
  echo "round $r, $CLIENTS clients at $INTERVAL_MS ms:  $(loadgen --rate "$RATE" --seconds "$SECS" | p99)"
  wait "$CPID" || true
  grep '^events per client' "$WORK/clients.log"
done
