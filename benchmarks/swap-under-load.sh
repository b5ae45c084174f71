#!/usr/bin/env bash
# What a model swap costs the line (docs/models.md, "What a swap costs the line").
#
#   benchmarks/swap-under-load.sh RATE [SECONDS] [activate|shadow]
#
# Starts `inspect serve` (its own JVM) on the demo model with a throw-away registry holding
# demo-defects@1 (served) and @2 (the same network, a new version), feeds the image archive for
# 3 s, then runs `inspect loadgen` (another JVM) at RATE frames/s over 2 cameras for SECONDS
# (default 30), activates @2 with curl 8 s in, and prints, from the audit trail, the latency and
# time fail-safes of the frames received before, during and after the activation.
# RATE 0: no load, only the activation time of an idle line.
# shadow: instead of activating, run @3 (the demo model with its class order swapped: it disagrees
# with every frame) as shadow model from 8 s in until the end; "during" is then the shadowed time.
set -euo pipefail
RATE=${1:?usage: swap-under-load.sh RATE [SECONDS]}
SECONDS_RUN=${2:-30}
MODE=${3:-activate}
HOME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INSPECT="$HOME_DIR/bin/inspect"
WORK="$(mktemp -d /tmp/swap-under-load.XXXXXX)"
PORT=17600
ADMIN=17601
TOKEN="swap-under-load-$(date +%s%N)"
trap 'kill "${SERVE:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for v in 1 2 3; do
  mkdir -p "$WORK/models/demo-defects/$v"
  cp -r "$HOME_DIR/models/demo-defects/1/." "$WORK/models/demo-defects/$v/"
  sed -i "s/^version: \"1\"/version: \"$v\"/" "$WORK/models/demo-defects/$v/manifest.yaml"
done
sed -i 's/classes: \[good, defect\]/classes: [defect, good]/' "$WORK/models/demo-defects/3/manifest.yaml"
cat > "$WORK/line.yaml" <<YAML
line: {name: swap-under-load, budgetMs: 50, failSafeVerdict: FAIL}
ingest: {host: 127.0.0.1, port: $PORT, maxMessageBytes: 1048576}
pipeline: {ringSize: 256, preprocessWorkers: 1, maxBatch: 8, maxDelayMs: 2.0}
inference: {backend: djl, djl: {manifest: $WORK/models/demo-defects/1/manifest.yaml, maxBatch: 8}}
audit: {dir: $WORK/audit, fsync: segment}
archive: {dir: $WORK/archive}
admin: {host: 127.0.0.1, port: $ADMIN, token: $TOKEN}
models: {registry: $WORK/models, state: $WORK/state.json, shadow: {dir: $WORK/shadow}}
YAML

"$INSPECT" serve --config "$WORK/line.yaml" --status-every 0 > "$WORK/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 120); do grep -q '^ready:' "$WORK/serve.log" && break; sleep 1; done
grep -q '^ready:' "$WORK/serve.log" || { cat "$WORK/serve.log"; exit 1; }
echo "swap-under-load: service ready; 3 s of camera frames for the image archive"
"$INSPECT" camera-sim --port $PORT --cameras 2 --fps 15 --seconds 3 > /dev/null
LG=
if [ "$RATE" != "0" ]; then
  echo "swap-under-load: loadgen $RATE frames/s for $SECONDS_RUN s; activation 8 s in"
  "$INSPECT" loadgen --port $PORT --config "$WORK/line.yaml" --cameras 2 --rate "$RATE" \
    --seconds "$SECONDS_RUN" --warmup-seconds 1 --model-seconds 0 --json > "$WORK/loadgen.log" 2>&1 &
  LG=$!
  sleep 8
fi
T0=$(date +%s.%N)
if [ "$MODE" = shadow ]; then
  curl -s -o "$WORK/activate.json" -w "swap-under-load: shadow start HTTP %{http_code}\n" \
    -H "Authorization: Bearer $TOKEN" -d '{"name":"demo-defects","version":"3"}' \
    "http://127.0.0.1:$ADMIN/models/shadow"
  [ -n "$LG" ] && wait "$LG"
  T1=$(date +%s.%N)
  curl -s -H "Authorization: Bearer $TOKEN" -X DELETE "http://127.0.0.1:$ADMIN/models/shadow" \
    | python3 -c 'import json,sys; print("swap-under-load:", json.load(sys.stdin)["message"])'
else
  curl -s -o "$WORK/activate.json" -w "swap-under-load: activate HTTP %{http_code} in %{time_total} s\n" \
    -H "Authorization: Bearer $TOKEN" -d '{"name":"demo-defects","version":"2"}' \
    "http://127.0.0.1:$ADMIN/models/activate"
  T1=$(date +%s.%N)
  [ -n "$LG" ] && wait "$LG"
fi
kill "$SERVE"; wait "$SERVE" || true
[ -n "${KEEP_SERVE_LOG:-}" ] && cp "$WORK/serve.log" "$KEEP_SERVE_LOG"
python3 - "$T0" "$T1" "$WORK" <<'PY'
import glob, json, sys
t0, t1, work = float(sys.argv[1]) * 1e6, float(sys.argv[2]) * 1e6, sys.argv[3]
print("outcome:", json.load(open(work + "/activate.json"))["outcome"])
recs = []
for f in sorted(glob.glob(work + "/audit/*.jsonl")):
    for line in open(f):
        try:
            r = json.loads(line)
        except ValueError:
            continue  # a torn last line
        if r.get("type") == "record" and "verdict" in r and r["cam"].startswith("load"):
            recs.append(r)
if not recs:
    sys.exit(0)
lat = {"before": [], "during": [], "after": []}
late = dict.fromkeys(lat, 0)
for r in recs:
    w = "before" if r["receivedUs"] < t0 else "during" if r["receivedUs"] <= t1 + 50000 else "after"
    if r["reason"] == "NONE":
        lat[w].append(r["latencyUs"])
    elif r["reason"] in ("DEADLINE", "OVERLOAD"):
        late[w] += 1
        print(f"  {w}: {r['cam']}#{r['frame']} {r['reason']}, stages reached (us): {r.get('stagesUs')}")
for w, l in lat.items():
    if l:
        l.sort()
        print(f"{w}: {len(l)} judged, time fail-safes {late[w]}, latency p50 {l[len(l)//2]/1000:.1f} ms,"
              f" p99 {l[int(len(l)*.99)]/1000:.1f} ms, max {l[-1]/1000:.1f} ms")
v = [r["version"] for r in recs if r["reason"] == "NONE"]
print("version switch points among judged frames:", sum(1 for i in range(1, len(v)) if v[i] != v[i - 1]))
PY
