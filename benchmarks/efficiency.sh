#!/usr/bin/env bash
# Throughput at the budget, side by side with the bare model (issue 16; benchmarks/README.md).
#
#   benchmarks/efficiency.sh                       # MONO8 raw and 256x256 PNG parts, one run each
#   benchmarks/efficiency.sh --formats PNG --runs 3    # medians of three runs
#
# For each format: the service runs as `bin/inspect serve` in its own process (configs/demo-line.yaml
# without actuators, its files under a temporary directory, free ports), the generator as
# `bin/inspect loadgen --port ... --find-max` in another. loadgen measures, in the same run, the
# bare model by batch and the naive predictor, then finds the highest rate with p99 <= budget and
# <= 1 % fail-safe. Then a second loadgen offers 80 % of that rate while this script reads the
# service's per-thread CPU from /proc/<pid>/task/*/stat and its verdict counter from /metrics over
# the same window: threads named infer-* (the inference thread and the OpenMP / intra-op workers it
# starts, which inherit its name) are "model", every other thread "non-model". The generator's CPU
# is read from /proc too. Needs python3 and Linux /proc. Wrap it in `flock /tmp/build.lock` on a
# shared machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v python3 >/dev/null || { echo "efficiency.sh: python3 is needed" >&2; exit 127; }
# Build once up front (bin/inspect builds on first use) so that no build runs inside a measurement.
"$HERE/bin/inspect" --version >/dev/null
exec python3 -u - "$HERE" "$@" <<'PY'
import argparse, json, os, re, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

home = sys.argv[1]
ap = argparse.ArgumentParser(prog="benchmarks/efficiency.sh")
ap.add_argument("--formats", default="MONO8,PNG", help="MONO8 (raw frames) and/or PNG (parts)")
ap.add_argument("--runs", type=int, default=1, help="runs per format; the table shows medians")
ap.add_argument("--cameras", type=int, default=2)
ap.add_argument("--size", type=int, default=256)
ap.add_argument("--steps", type=int, default=7, help="find-max steps")
ap.add_argument("--step-seconds", type=float, default=8, help="measured seconds per step")
ap.add_argument("--model-seconds", type=float, default=6, help="bare model + naive baseline")
ap.add_argument("--load-seconds", type=float, default=15, help="the 80 %% load run")
ap.add_argument("--java-opts", default="", help="extra JVM options of the service (INSPECT_JAVA_OPTS)")
a = ap.parse_args(sys.argv[2:])
inspect = os.path.join(home, "bin", "inspect")
tick = os.sysconf("SC_CLK_TCK")

def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, flush=True)

def f(x, fmt="%.1f"):
    return "n/a" if x is None else fmt % x

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def config(tmp, port, admin):
    """configs/demo-line.yaml without actuators, files under tmp, the given ports."""
    out, skip, section = [], False, None
    for line in open(os.path.join(home, "configs", "demo-line.yaml")):
        m = re.match(r"^([a-z]\w*):", line)
        if m:
            section = m.group(1)
            skip = section == "actuators"
        if skip:
            continue
        k = re.match(r"^(\s+)(port|dir|tokenFile|state):", line)
        if k:
            ind, key = k.groups()
            val = {("ingest", "port"): str(port), ("admin", "port"): str(admin),
                   ("audit", "dir"): tmp + "/audit", ("archive", "dir"): tmp + "/archive",
                   ("admin", "tokenFile"): tmp + "/admin.token",
                   ("models", "state"): tmp + "/state.json", ("shadow", "dir"): tmp + "/shadow",
                   }.get((section, key), None)
            if key == "dir" and section == "models":
                val = tmp + "/shadow"  # models.shadow.dir
            if val is not None:
                line = f"{ind}{key}: {val}\n"
        out.append(line)
    path = os.path.join(tmp, "line.yaml")
    open(path, "w").write("".join(out))
    return path

def threads(pid):
    """{tid: (name, cpu seconds)} of a process, from /proc/<pid>/task/*/stat."""
    res = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            st = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        res[tid] = (name, (int(f[11]) + int(f[12])) / tick)
    return res

def proc_cpu(pid):
    f = open(f"/proc/{pid}/stat").read()
    f = f[f.rindex(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / tick

def verdicts(admin):
    body = urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5).read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
               if l.startswith("inspection_verdicts_total{"))

def batches(admin):
    body = urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5).read().decode()
    val = lambda name: sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                           if l.startswith(name + " ") or l.startswith(name + "{"))
    return val("inspection_batches_total"), val("inspection_batched_frames_total")

def ready(admin, serve, limit=180):
    until = time.time() + limit
    while time.time() < until:
        if serve.poll() is not None:
            raise SystemExit(f"the service exited ({serve.returncode}) before it was ready")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=2).status == 200:
                return
        except Exception:
            pass
        time.sleep(0.5)
    raise SystemExit("the service was not ready within %d s" % limit)

def loadgen(args, tag, on_line=None):
    p = subprocess.Popen([inspect, "loadgen"] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in p.stdout:
        line = line.rstrip("\n")
        lines.append(line)
        if re.match(r"^(bare model|naive|step |efficiency)", line):
            log(f"  [{tag}] {line}")
        if on_line:
            on_line(p, line)
    rc = p.wait()
    try:
        j = json.loads(lines[-1])
    except Exception:
        print("\n".join(lines[-30:]))
        raise SystemExit(f"loadgen did not report (exit {rc})")
    return rc, j, p

def one_run(fmt, run):
    tmp = tempfile.mkdtemp(prefix="efficiency-")
    port, admin = free_port(), free_port()
    cfg = config(tmp, port, admin)
    env = dict(os.environ)
    if a.java_opts:
        env["INSPECT_JAVA_OPTS"] = (env.get("INSPECT_JAVA_OPTS", "") + " " + a.java_opts).strip()
    tag = f"{fmt} run {run}"
    log(f"[{tag}] starting bin/inspect serve --config {cfg}")
    serve = subprocess.Popen([inspect, "serve", "--config", cfg], stdout=open(tmp + "/serve.log", "w"),
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        ready(admin, serve)
        jpid = java_pid(serve.pid)
        log(f"[{tag}] service ready (pid {jpid}); loadgen --find-max in its own process")
        frames = ["--frames=raw"] if fmt == "MONO8" else ["--frames=parts", "--format=PNG"]
        common = ["--port", str(port), "--config", cfg, "--cameras", str(a.cameras),
                  "--size", str(a.size), "--json"] + frames
        rc, j, _ = loadgen(common + ["--find-max", "--steps", str(a.steps), "--seconds",
                                     str(a.step_seconds), "--warmup-seconds", "2",
                                     "--model-seconds", str(a.model_seconds)], tag)
        os.makedirs(os.path.join(home, "benchmarks", "results"), exist_ok=True)
        with open(os.path.join(home, "benchmarks", "results", f"efficiency-{fmt}-{run}.json"), "w") as fh:
            json.dump(j, fh)  # the whole loadgen report: every step, its verdicts by reason
        for st in j.get("findMaxSteps", []):
            reasons = {k: v for k, v in st.get("byReason", {}).items() if k != "NONE" and v}
            if reasons:
                log(f"  [{tag}] offered {st['offeredFps']:.1f} fps: fail-safe by reason {reasons}")
        if rc != 0:
            raise SystemExit(f"loadgen --find-max exit {rc}: a frame without exactly one verdict")
        at = j["serviceFpsAtBudget"]
        r = {"bareByBatch": j["bareModel"]["fpsByBatch"], "bare": j["bareModel"]["fps"],
             "bestBatch": j["bareModel"]["bestBatch"], "naive": j["naiveBaseline"]["fps"],
             "naiveP99": j["naiveBaseline"]["latencyP99Ms"], "atBudget": at,
             "efficiency": j["efficiency"]}
        if at is None:
            log(f"[{tag}] no rate within budget; no 80 % load run")
            return r
        rate = 0.8 * at
        log(f"[{tag}] 80 % load: {rate:.1f} fps for {a.load_seconds:.0f} s, per-thread CPU of the service")
        lg = subprocess.Popen([inspect, "loadgen"] + common +
                              ["--rate", f"{rate:.1f}", "--seconds", str(a.load_seconds),
                               "--warmup-seconds", "3", "--model-seconds", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Frames flowing: wait for the counter to move, let the rate settle, then one window.
        v0 = verdicts(admin)
        until = time.time() + 120
        while verdicts(admin) - v0 < 10 and time.time() < until and lg.poll() is None:
            time.sleep(0.2)
        time.sleep(3)
        window = max(3.0, a.load_seconds - 3)
        gpid = java_pid(lg.pid)
        t0, th0, v0, g0, b0 = time.time(), threads(jpid), verdicts(admin), proc_cpu(gpid), batches(admin)
        time.sleep(window)
        t1, th1, v1, g1, b1 = time.time(), threads(jpid), verdicts(admin), proc_cpu(gpid), batches(admin)
        out = lg.communicate()[0].splitlines()
        j2 = json.loads(out[-1])
        n = v1 - v0
        per = {}
        for tid, (name, c1) in th1.items():
            c0 = th0.get(tid, (name, 0.0))[1]
            per[tid] = (name, c1 - c0)
        model = sum(c for nm, c in per.values() if nm.startswith("infer-"))
        other = sum(c for nm, c in per.values() if not nm.startswith("infer-"))
        top = sorted(per.values(), key=lambda x: -x[1])[:8]
        log(f"[{tag}] window {t1 - t0:.1f} s, {n:.0f} verdicts ({n / (t1 - t0):.1f}/s); busiest threads: "
            + ", ".join(f"{nm} {c / (t1 - t0):.2f} cores" for nm, c in top))
        nb = b1[0] - b0[0]
        r["meanBatch"] = (b1[1] - b0[1]) / nb if nb else None
        r.update({"loadFps": n / (t1 - t0), "modelMsPerFrame": 1000 * model / n,
                  "nonModelMsPerFrame": 1000 * other / n, "genMsPerFrame": 1000 * (g1 - g0) / n,
                  "genCores": (g1 - g0) / (t1 - t0), "loadP99": j2["service"]["latencyP99Ms"],
                  "loadFailSafe": j2["service"]["failSafeShare"],
                  "loadWithoutVerdict": j2["service"]["framesWithoutVerdict"]})
        if lg.returncode != 0:
            raise SystemExit(f"80 % load loadgen exit {lg.returncode}: a frame without exactly one verdict")
        log(f"[{tag}] model {r['modelMsPerFrame']:.2f} ms CPU/frame, non-model {r['nonModelMsPerFrame']:.2f}"
            f" ({r['nonModelMsPerFrame'] / r['modelMsPerFrame']:.2f} x), generator {r['genMsPerFrame']:.2f}"
            f" ms/frame ({r['genCores']:.2f} cores); p99 {r['loadP99']:.2f} ms; mean batch {f(r['meanBatch'], '%.2f')}")
        return r
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()

def java_pid(pid):
    """bin/inspect execs java, so the pid is the JVM's; a child java when it forks instead."""
    for _ in range(50):
        try:
            if os.readlink(f"/proc/{pid}/exe").endswith("/java"):
                return pid
            kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
            for k in kids:
                if os.readlink(f"/proc/{k}/exe").endswith("/java"):
                    return int(k)
        except OSError:
            pass
        time.sleep(0.1)
    return pid

results = {}
for fmt in a.formats.split(","):
    results[fmt] = [one_run(fmt, i + 1) for i in range(a.runs)]

def med(fmt, key):
    v = [r[key] for r in results[fmt] if r.get(key) is not None]
    return statistics.median(v) if v else None


fmts = list(results)
head = "| what | " + " | ".join(
    ("raw MONO8 %d²" % a.size if x == "MONO8" else "%d² PNG parts" % a.size) for x in fmts) + " |"
rows = []
batches = sorted({int(b) for x in fmts for r in results[x] for b in r["bareByBatch"]})
def row(label, vals): rows.append("| " + label + " | " + " | ".join(vals) + " |")
for b in batches:
    row(f"bare model, batch {b} (fps)", [f(statistics.median(
        [r["bareByBatch"][str(b)] for r in results[x]])) for x in fmts])
row("bare model, best batch (fps)", [f(med(x, "bare")) + " (b%d)" % results[x][0]["bestBatch"] for x in fmts])
row("naive predictor, batch 1 (fps; p99 ms)", [f(med(x, "naive")) + "; " + f(med(x, "naiveP99"), "%.1f") for x in fmts])
row("**service at budget** (fps, find-max)", [f(med(x, "atBudget")) for x in fmts])
row("**efficiency** = service ÷ bare", [f(med(x, "efficiency"), "%.3f") for x in fmts])
row("service ÷ naive", [f(None if med(x, "atBudget") is None else med(x, "atBudget") / med(x, "naive"), "%.2f×") for x in fmts])
row("80 % load: judged fps, p99 ms", [f(med(x, "loadFps")) + ", " + f(med(x, "loadP99"), "%.1f") for x in fmts])
row("80 % load: mean batch", [f(med(x, "meanBatch"), "%.2f") for x in fmts])
row("model CPU per frame (ms)", [f(med(x, "modelMsPerFrame"), "%.2f") for x in fmts])
row("non-model CPU per frame (ms)", [f(med(x, "nonModelMsPerFrame"), "%.2f") for x in fmts])
row("**non-model ÷ model CPU**", [f(None if med(x, "modelMsPerFrame") is None else med(x, "nonModelMsPerFrame") / med(x, "modelMsPerFrame"), "%.2f") for x in fmts])
row("generator CPU per frame (ms; cores)", [f(med(x, "genMsPerFrame"), "%.2f") + "; " + f(med(x, "genCores"), "%.2f") for x in fmts])
print()
print(f"efficiency.sh: {a.runs} run(s) per format, medians; {a.cameras} cameras, {a.steps} find-max steps of {a.step_seconds:g} s")
if a.runs > 1:
    for x in fmts:
        print(f"  {x} efficiency per run: " + ", ".join(f(r.get('efficiency'), '%.3f') for r in results[x]))
print(head)
print("| --- |" + " --- |" * len(fmts))
print("\n".join(rows))
print("JSON " + json.dumps(results))
PY
