#!/usr/bin/env bash
# Does the operator dashboard disturb the line? The service's end-to-end p99 at 80 % of its
# capacity with three dashboards streaming vs none, in the same run, interleaved (none, three,
# none, three, ...), figures for docs/dashboard.md.
# Build first: ./mvnw -B -o package -DskipTests.
# Usage: benchmarks/dashboard-load.sh [CONFIG]
#   CLIENTS=chromium  three headless Debian chromium browsers on /dashboard, on this machine
#                     (they take CPU from the service: the pessimistic case of a 2-core box)
#   CLIENTS=http      three HTTP clients doing what the page does (the event stream on one
#                     connection; each camera's frame and the newest filmstrip image per snapshot on
#                     another, keep-alive): the service's own cost of three browsers that run on
#                     other machines, as at a line (default)
#   RATE=<fps>        the load (default: 0.8 x the highest rate 'loadgen --find-max' finds)
#   SECONDS_PER_RUN=20 ROUNDS=3 CAMERAS=4
# The demo line runs as 'bin/inspect serve' on ports 17600 / 17601 (no actuators, audit, archive
# and labels under a temporary directory).
set -euo pipefail
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${1:-$HOME_DIR/configs/demo-line.yaml}"
CLIENTS="${CLIENTS:-http}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
ROUNDS="${ROUNDS:-3}"
CAMERAS="${CAMERAS:-4}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
/usr/bin/python3 - "$CONFIG" "$WORK" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c["ingest"]["port"] = 17600
c.setdefault("admin", {})["port"] = 17601
c["admin"]["tokenFile"] = sys.argv[2] + "/admin.token"
c["admin"]["operatorTokenFile"] = sys.argv[2] + "/operator.token"
c.pop("actuators", None)
c.setdefault("audit", {})["dir"] = sys.argv[2] + "/audit"
c.setdefault("archive", {})["dir"] = sys.argv[2] + "/archive"
c.setdefault("models", {})["state"] = sys.argv[2] + "/state.json"
c.setdefault("dashboard", {})["labelsDir"] = sys.argv[2] + "/labels"
yaml.safe_dump(c, open(sys.argv[2] + "/line.yaml", "w"))
PY
cat >"$WORK/client.py" <<'PY'
# One dashboard's requests: the event stream, and per snapshot each camera's frame and the newest
# filmstrip image, over one keep-alive connection (as dashboard.js does).
import http.client, json, sys, threading
port, cameras = int(sys.argv[1]), int(sys.argv[2])
fetch = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def get(path):
    fetch.request("GET", path); r = fetch.getresponse(); r.read()
stream = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
stream.request("GET", "/dashboard/api/events")
r = stream.getresponse()
assert r.status == 200, r.status
for line in r:
    if not line.startswith(b"data: "):
        continue
    s = json.loads(line[6:])
    for c in s["cameras"]:
        if c["imageSeq"] is not None:
            get("/dashboard/api/frame?camera=" + c["id"])
    if s["filmstrip"]:
        p = s["filmstrip"][0]
        get("/dashboard/api/image?camera=%s&seq=%d&captureUs=%d" % (p["camera"], p["seq"], p["captureUs"]))
PY
"$HOME_DIR/bin/inspect" serve --config "$WORK/line.yaml" --status-every 0 >"$WORK/service.log" 2>&1 &
SERVICE=$!
PIDS+=("$SERVICE")
for _ in $(seq 1 240); do grep -q '^ready:' "$WORK/service.log" && break; sleep 0.5; done
grep '^ready:\|^dashboard:' "$WORK/service.log"
URL="http://127.0.0.1:17601/dashboard"

loadgen() { # RATE -> p99 ms of the service (round trip), on stdout
  "$HOME_DIR/bin/inspect" loadgen --port 17600 --cameras "$CAMERAS" --rate "$1" \
    --seconds "$SECONDS_PER_RUN" --json 2>/dev/null | tail -n 1 |
    /usr/bin/python3 -c 'import sys, json; s = json.load(sys.stdin)["service"]; print(s["latencyP99Ms"], s["latencyP50Ms"], s["failSafeShare"], s["processCpuCores"])'
}

if [ -z "${RATE:-}" ]; then
  MAX="$("$HOME_DIR/bin/inspect" loadgen --port 17600 --cameras "$CAMERAS" --find-max --seconds 5 --json 2>/dev/null |
    tail -n 1 | /usr/bin/python3 -c 'import sys, json; print(json.load(sys.stdin)["serviceFpsAtBudget"])')"
  RATE="$(/usr/bin/python3 -c "print(round(0.8 * $MAX, 1))")"
  echo "capacity: $MAX frames/s within the budget (loadgen --find-max); 80 %: $RATE frames/s"
fi

start_clients() {
  CLIENT_PIDS=()
  for i in 1 2 3; do
    if [ "$CLIENTS" = chromium ]; then
      /usr/bin/chromium --headless=new --no-sandbox --disable-gpu --disable-background-networking \
        --window-size=1366,768 --user-data-dir="$WORK/chromium-$i" --remote-debugging-port=$((19220 + i)) \
        "$URL" >/dev/null 2>&1 &
      CLIENT_PIDS+=($!)
    else
      /usr/bin/python3 "$WORK/client.py" 17601 "$CAMERAS" &
      CLIENT_PIDS+=($!)
    fi
  done
  PIDS+=("${CLIENT_PIDS[@]}")
  sleep 3
}
stop_clients() {
  for p in "${CLIENT_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  sleep 1
}

echo "round clients p99Ms p50Ms failSafeShare serviceCpuCores"
NONE=()
THREE=()
for r in $(seq 1 "$ROUNDS"); do
  a="$(loadgen "$RATE")"; echo "$r none $a"; NONE+=("${a%% *}")
  start_clients
  b="$(loadgen "$RATE")"; echo "$r three-$CLIENTS $b"; THREE+=("${b%% *}")
  curl -s "$URL/api/snapshot" | /usr/bin/python3 -c 'import sys, json; s = json.load(sys.stdin); print("   dashboard: dropped", s["dropped"], "frames seen", s["shift"]["total"])' || echo "   dashboard: no snapshot"
  stop_clients
done
/usr/bin/python3 - "${NONE[*]}" "${THREE[*]}" "$RATE" "$CLIENTS" <<'PY'
import sys, statistics
none = [float(x) for x in sys.argv[1].split()]
three = [float(x) for x in sys.argv[2].split()]
a, b = statistics.median(none), statistics.median(three)
print(f"median p99 at {sys.argv[3]} frames/s: none {a:.2f} ms, three dashboards ({sys.argv[4]}) {b:.2f} ms: {100 * (b - a) / a:+.1f} %")
PY
