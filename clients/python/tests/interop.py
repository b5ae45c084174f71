"""Interop scenarios for lineinspect_client against the real service (run by the JUnit test
io.lineinspect.camera.ingest.PythonClientInteropTest, which starts the server on loopback with the
configuration each scenario needs), plus the codec checked against docs/protocol.md §9 byte for
byte (scenario ``codec``, no server).

    /usr/bin/python3 interop.py SCENARIO --port N [--ca F --cert F --key F] [--images DIR]

Each scenario asserts on the client's side and prints one ``RESULT {json}`` line (what was sent
and answered) that the Java side checks against the service's own counts. Exit status 0 = passed.
Every wait is bounded.
"""

import argparse
import json
import math
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import lineinspect_client as li  # noqa: E402

SECRET = "00112233445566778899aabbccddeeff"
WAIT_S = 10.0


def result(**fields):
    print("RESULT " + json.dumps(fields, sort_keys=True), flush=True)


def mono8(first_byte, width=4, height=2):
    return bytes([first_byte]) + bytes(width * height - 1)


def wait_for(predicate, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.005)


class Recorder:
    """Callbacks that record, on the reader thread, what came in and in which order."""

    def __init__(self):
        self.verdicts = []
        self.errors = []
        self.connects = []
        self.disconnects = []
        self.lock = threading.Lock()

    def kwargs(self):
        return dict(
            on_verdict=self._v, on_error=self._e, on_connect=self._c, on_disconnect=self._d
        )

    def _v(self, v):
        with self.lock:
            self.verdicts.append(v)

    def _e(self, e):
        with self.lock:
            self.errors.append(e)

    def _c(self, a):
        with self.lock:
            self.connects.append(a)

    def _d(self, cause):
        with self.lock:
            self.disconnects.append(cause)

    def error_codes(self):
        with self.lock:
            return [e.code for e in self.errors]


# ---- codec: docs/protocol.md §9, byte for byte --------------------------------------------------


def doc_examples(doc_path):
    """{section title: [message bytes, ...]} from the hex dumps in the doc's §9 code blocks."""
    text = open(doc_path, encoding="utf-8").read()
    examples = {}
    for m in re.finditer(r"^### (9\.\d+[^\n]*)\n(.*?)(?=^### |^## )", text, re.S | re.M):
        title, section = m.group(1), m.group(2)
        blocks = re.findall(r"```\n(.*?)```", section, re.S)
        messages = []
        for block in blocks:
            current = bytearray()
            for line in block.split("\n"):
                if not line.strip():
                    if current:
                        messages.append(bytes(current))
                        current = bytearray()
                    continue
                for token in line.split():
                    if not re.fullmatch(r"[0-9a-f]{2}", token):
                        break
                    current.append(int(token, 16))
            if current:
                messages.append(bytes(current))
        examples[title] = messages
    return examples


def find(examples, prefix):
    for title, messages in examples.items():
        if title.startswith(prefix):
            return messages
    raise AssertionError("docs/protocol.md has no example " + prefix)


def split_message(data):
    magic, version, msg_type, length = li.HEADER.unpack_from(data, 0)
    assert magic == li.MAGIC and version == 1, data[:8].hex()
    assert len(data) == li.HEADER.size + length, "bodyLength %d vs %d bytes" % (length, len(data))
    return msg_type, data[li.HEADER.size :]


def scenario_codec(args):
    ex = doc_examples(args.doc)
    (hello,) = find(ex, "9.1")
    assert li.encode_hello("cam-1") == hello, li.encode_hello("cam-1").hex()
    (hello_token,) = find(ex, "9.6")
    assert li.encode_hello("cam-1", li.token_from_secret(SECRET)) == hello_token
    assert li.encode_hello("cam-1", li.token_from_secret(SECRET.upper())) == hello_token
    (frame,) = find(ex, "9.2")
    mine = li.encode_frame(
        42, 4, 2, li.MONO8, bytes.fromhex("0010203040506070"), 1700000000000000, 123456
    )
    assert mine == frame, mine.hex()
    (verdict,) = find(ex, "9.3")
    v = li.decode_message(*split_message(verdict))
    assert v == li.Verdict(42, 1, False, 0, 0.875, 1234, "defect", "demo-cnn", "1"), v
    assert v.judged and v.reject and v.reason_name == "NONE"
    (error,) = find(ex, "9.4")
    e = li.decode_message(*split_message(error))
    assert (e.code, e.name, e.fatal, e.sequence) == (21, "IMAGE_SIZE_MISMATCH", False, 42), e
    assert e.message == "4x2 MONO8 needs 8 payload bytes, got 6", e.message
    ack, heartbeat = find(ex, "9.5")
    a = li.decode_message(*split_message(ack))
    assert a == li.HelloAck(16777216, 50, 10000, "demo-line"), a
    assert li.encode_heartbeat(1700000000000000) == heartbeat
    assert li.decode_message(*split_message(heartbeat)) == 1700000000000000
    # Forward compatibility (§8): bytes after the known fields are ignored; an unknown reason is
    # not "judged", an unknown verdict value is a reject, an unknown error code is fatal.
    t, body = split_message(verdict)
    assert li.decode_message(t, body + b"\x00\x01") == v
    odd = bytearray(body)
    odd[8], odd[10] = 7, 99
    w = li.decode_message(t, bytes(odd))
    assert w.reject and not w.judged and w.reason_name == "UNKNOWN_99"
    t, body = split_message(error)
    odd = bytearray(body)
    odd[0:2] = (999).to_bytes(2, "big")
    assert li.decode_message(t, bytes(odd)).fatal
    # What cannot be encoded or would be refused fatally is a ValueError before any byte is sent.
    for bad in ["", "x" * 65, ".cam", "cam 1", "cäm"]:
        try:
            li.encode_hello(bad)
        except ValueError:
            pass
        else:
            raise AssertionError("camera id %r accepted" % bad)
    for bad in ["0g", "abc", "00" * 1025]:
        try:
            li.token_from_secret(bad)
        except ValueError:
            pass
        else:
            raise AssertionError("secret %r accepted" % bad)
    result(examples=sorted(ex))


# ---- against the service --------------------------------------------------------------------------


def expect_verdict_for(pending, seq):
    v = pending.result(WAIT_S)
    assert v.sequence == seq, (v.sequence, seq)
    return v


def scenario_interop(args):
    """Order, content and callbacks of 300 frames sent back to back, across several threads'
    worth of payloads; a valid JPEG and PNG judged; the HELLO_ACK as configured."""
    rec = Recorder()
    with li.Client("127.0.0.1", args.port, "cam-py", **rec.kwargs()) as c:
        ack = c.connect()
        assert ack.line_name == "py-line" and ack.budget_ms == 10000, ack
        assert ack.max_message_bytes == 1 << 20 and ack.idle_timeout_ms == 10000, ack
        sent = []
        for i in range(300):
            first = (i * 37) % 256
            sent.append((c.send_frame(mono8(first), 4, 2, li.MONO8, capture_time_us=i), first))
        for image, fmt in (("ok.jpg", li.JPEG), ("ok.png", li.PNG)):
            data = open(os.path.join(args.images, image), "rb").read()
            sent.append((c.send_frame(data, 8, 8, fmt), None))
        for n, (p, first) in enumerate(sent):
            v = expect_verdict_for(p, n + 1)
            assert v.judged and v.error is None, v
            assert v.model_name == "scripted" and v.model_version == "7", v
            assert 0 < v.latency_us < 10_000_000, v
            if first is not None:
                assert abs(v.score - first / 255.0) < 1e-6, (v, first)
                assert v.reject == (first >= 128) and v.label == ("defect" if v.reject else "good")
        wait_for(lambda: len(rec.verdicts) == len(sent), "every callback")
        assert [v.sequence for v in rec.verdicts] == list(range(1, len(sent) + 1))
        assert rec.errors == [] and len(rec.connects) == 1 and c.in_flight() == 0
        sent_count = len(sent)
    assert rec.disconnects == [None], rec.disconnects
    result(sent=sent_count, verdicts=len(rec.verdicts), notInspected=0)


def scenario_bad_frames(args):
    """Every non-fatal error a client can provoke: an ERROR with the frame's sequence, then that
    frame's fail-safe verdict (reason BAD_IMAGE), in order among good frames; the connection
    stays up."""
    rec = Recorder()
    jpeg = open(os.path.join(args.images, "ok.jpg"), "rb").read()
    png = open(os.path.join(args.images, "ok.png"), "rb").read()
    bad = [
        (21, dict(payload=bytes(6), width=4, height=2, pixel_format=li.MONO8)),
        (21, dict(payload=b"", width=0, height=2, pixel_format=li.MONO8)),
        (22, dict(payload=bytes(8), width=4, height=2, pixel_format=99)),
        (23, dict(payload=jpeg[: len(jpeg) // 2], width=8, height=8, pixel_format=li.JPEG)),
        (23, dict(payload=jpeg + b"\x00", width=8, height=8, pixel_format=li.JPEG)),
        (23, dict(payload=b"", width=8, height=8, pixel_format=li.PNG)),
        (23, dict(payload=png, width=8, height=4, pixel_format=li.PNG)),
        (23, dict(payload=bytes(4096), width=64, height=64, pixel_format=li.MONO8)),
    ]
    with li.Client("127.0.0.1", args.port, "cam-py", **rec.kwargs()) as c:
        c.connect()
        plan = []
        for code, frame in bad:
            plan.append((c.send_frame(mono8(10), 4, 2, li.MONO8), None))
            plan.append((c.send_frame(**frame), code))
        plan.append((c.send_frame(mono8(200), 4, 2, li.MONO8), None))
        for n, (p, code) in enumerate(plan):
            v = expect_verdict_for(p, n + 1)
            if code is None:
                assert v.judged and v.error is None, v
            else:
                assert v.fail_safe and not v.judged and v.reason_name == "BAD_IMAGE", v
                assert v.reject, "the line's fail-safe verdict is FAIL: %s" % (v,)
                assert v.error is not None and v.error.code == code, (v, v.error, code)
                assert not v.error.fatal and v.error.sequence == v.sequence
                assert math.isnan(v.score) and v.model_name == "", v
        assert rec.error_codes() == [code for code, _ in bad], rec.error_codes()
        assert c.connected and len(rec.connects) == 1
    result(sent=len(plan), verdicts=len(plan), notInspected=0, errors=rec.error_codes())


def scenario_overload(args):
    """A camera sending faster than ingest.maxFramesPerSecond (20, a bucket of 20 frames): the
    service paces it by TCP, so the 80 frames above the bucket arrive at 20 a second; still one
    verdict per frame, in order, each judged (their 10 s budget covers the wait)."""
    with li.Client("127.0.0.1", args.port, "cam-py") as c:
        c.connect()
        t0 = time.monotonic()
        pending = [c.send_frame(mono8(10), 4, 2, li.MONO8) for _ in range(100)]
        reasons = []
        for n, p in enumerate(pending):
            v = expect_verdict_for(p, n + 1)
            assert v.judged or v.fail_safe, v
            reasons.append(v.reason_name)
        elapsed = time.monotonic() - t0
    assert reasons.count("NONE") == 100, reasons
    assert elapsed >= 3.5, "80 frames above the bucket at 20/s take about 4 s, took %.2f s" % elapsed
    result(sent=100, verdicts=100, notInspected=0, pacedSeconds=round(elapsed, 2))


def scenario_fatal(args):
    """Fatal errors a client can provoke on an open port: CAMERA_ID_IN_USE at connect; the
    service's IDLE_TIMEOUT when heartbeats are off (then the client reconnects by itself); and
    that heartbeats keep an idle connection up."""
    quiet_rec = Recorder()
    with li.Client("127.0.0.1", args.port, "cam-py", heartbeat=False, **quiet_rec.kwargs()) as c:
        c.connect()
        try:
            li.Client("127.0.0.1", args.port, "cam-py", reconnect=False).connect()
        except li.ProtocolError as e:
            assert e.code == 9 and e.name == "CAMERA_ID_IN_USE" and e.fatal and not e.permanent
        else:
            raise AssertionError("a second connection with the same id was accepted")
        # idle timeout 300 ms, no heartbeats: the service drops us, the client reconnects.
        wait_for(lambda: 10 in quiet_rec.error_codes(), "IDLE_TIMEOUT")
        wait_for(lambda: len(quiet_rec.connects) >= 2, "the reconnect")
        assert c.wait_connected(WAIT_S)
        p = c.send_frame(mono8(1), 4, 2, li.MONO8)
        v = p.result(WAIT_S)
        assert v.judged, v
        assert isinstance(quiet_rec.disconnects[0], li.ProtocolError)
    beat_rec = Recorder()
    with li.Client("127.0.0.1", args.port, "cam-beat", **beat_rec.kwargs()) as c:
        c.connect()
        time.sleep(1.2)  # four idle timeouts
        assert beat_rec.errors == [] and len(beat_rec.connects) == 1, beat_rec.errors
        assert c.send_frame(mono8(1), 4, 2, li.MONO8).result(WAIT_S).judged
    result(sent=2, verdicts=2, notInspected=0, errors=quiet_rec.error_codes())


def scenario_limit(args):
    """CONNECTION_LIMIT (ingest.maxConnections 1): the second camera is refused at connect."""
    with li.Client("127.0.0.1", args.port, "cam-a") as a:
        a.connect()
        b = li.Client("127.0.0.1", args.port, "cam-b", reconnect=False)
        try:
            b.connect()
        except li.ProtocolError as e:
            assert e.code == 13 and e.fatal, e
            how = "error"
        except OSError as e:
            # §7: a reset right after the service's ERROR means the same as the ERROR.
            how = "reset: %s" % e
        else:
            raise AssertionError("a connection above ingest.maxConnections was accepted")
        assert a.send_frame(mono8(1), 4, 2, li.MONO8).result(WAIT_S).judged
    result(sent=1, verdicts=1, notInspected=0, refused=how)


def scenario_auth(args):
    """ingest.cameras with secrets: the right secret (hex text or file) is served; a wrong one,
    an empty one or an unlisted id is AUTHENTICATION_FAILED and permanent; an authenticated
    takeover gives the holder its verdicts, then CAMERA_ID_TAKEN_OVER, and the holder stops."""
    wrong = "01" + SECRET[2:]
    for cam, secret in (("cam-1", wrong), ("cam-1", None), ("nobody", SECRET)):
        try:
            li.Client("127.0.0.1", args.port, cam, secret=secret).connect()
        except li.ProtocolError as e:
            assert e.code == 16 and e.name == "AUTHENTICATION_FAILED" and e.permanent, e
        else:
            raise AssertionError("HELLO %s with secret %s was accepted" % (cam, secret))
    holder_rec = Recorder()
    holder = li.Client("127.0.0.1", args.port, "cam-1", secret=SECRET, **holder_rec.kwargs())
    holder.connect()
    before = [holder.send_frame(mono8(5), 4, 2, li.MONO8) for _ in range(20)]
    for n, p in enumerate(before):
        expect_verdict_for(p, n + 1)
    with li.Client("127.0.0.1", args.port, "cam-1", secret_file=args.secret_file) as taker:
        taker.connect()
        wait_for(lambda: holder.stopped_by is not None, "the holder's CAMERA_ID_TAKEN_OVER")
        assert holder.stopped_by.code == 17 and holder.stopped_by.permanent
        assert not holder.connected and not holder.wait_connected(0.5), "no reconnect loop"
        try:
            holder.send_frame(mono8(5), 4, 2, li.MONO8)
        except li.NotConnected as e:
            assert "CAMERA_ID_TAKEN_OVER" in str(e), e
        else:
            raise AssertionError("a stopped client sent a frame")
        assert taker.send_frame(mono8(5), 4, 2, li.MONO8, sequence=21).result(WAIT_S).judged
    holder.close()
    assert holder_rec.error_codes() == [17], holder_rec.error_codes()
    result(sent=21, verdicts=21, notInspected=0)


def scenario_restart(args):
    """The service stops (SERVICE_SHUTTING_DOWN after every received frame's verdict) and comes
    back on the same port: the client reconnects with backoff and continues its sequence; frames
    offered while it is away are refused with NotConnected, never silently dropped."""
    rec = Recorder()
    c = li.Client("127.0.0.1", args.port, "cam-py", backoff_initial_s=0.1, **rec.kwargs())
    c.connect()
    first = [c.send_frame(mono8(3), 4, 2, li.MONO8) for _ in range(50)]
    for n, p in enumerate(first):
        expect_verdict_for(p, n + 1)
    print("RESTART", flush=True)
    wait_for(lambda: not c.connected, "the service to go away")
    assert 11 in rec.error_codes(), rec.error_codes()
    refused = 0
    try:
        c.send_frame(mono8(3), 4, 2, li.MONO8)
    except li.NotConnected:
        refused += 1
    line = sys.stdin.readline()
    assert line.strip() == "GO", line
    assert c.wait_connected(WAIT_S), "no reconnect after the restart"
    second = [c.send_frame(mono8(3), 4, 2, li.MONO8) for _ in range(50)]
    for n, p in enumerate(second):
        expect_verdict_for(p, 51 + n)
    c.close()
    assert refused == 1 and c.connects == 2 and c.not_inspected == 0, (refused, c.connects)
    result(sent=100, verdicts=100, notInspected=0, refusedWhileAway=refused)


def scenario_tls(args):
    """Mutual TLS: with the CA and a client certificate frames flow; without a certificate, or
    plain TCP on the TLS port, the client gets an exception and no verdict (no protocol ERROR
    can travel before TLS is up)."""
    with li.Client(
        "127.0.0.1", args.port, "cam-tls", tls=True, ca_file=args.ca, cert_file=args.cert,
        key_file=args.key,
    ) as c:
        c.connect()
        pending = [c.send_frame(mono8(i), 4, 2, li.MONO8) for i in range(100)]
        for n, p in enumerate(pending):
            assert expect_verdict_for(p, n + 1).judged
    refusals = []
    for kwargs in (dict(tls=True, ca_file=args.ca), dict()):
        try:
            li.Client("127.0.0.1", args.port, "cam-x", reconnect=False, **kwargs).connect()
        except li.ProtocolError as e:
            raise AssertionError("a protocol ERROR before TLS is up: %s" % e)
        except (OSError, li.ProtocolViolation) as e:
            refusals.append(type(e).__name__)
        else:
            raise AssertionError("connect %s to a mutual-TLS port succeeded" % kwargs)
    result(sent=100, verdicts=100, notInspected=0, refusals=refusals)


def scenario_latency(args):
    """Measurement, not a check: what the client adds around the service's own time. Sends one
    640x480 MONO8 frame (300 KiB) at a time, N times; per frame: round trip (send_frame called ->
    result() returned) and the verdict's latencyUs (service time from the frame's first byte read);
    their difference is the client, the kernel and loopback, both directions."""
    n = args.frames
    payload = bytes(range(256)) * (640 * 480 // 256)
    with li.Client("127.0.0.1", args.port, "cam-lat", heartbeat=False) as c:
        c.connect()
        rtt, service = [], []
        for i in range(n + 50):
            t0 = time.monotonic_ns()
            v = c.send_frame(payload, 640, 480, li.MONO8).result(WAIT_S)
            t1 = time.monotonic_ns()
            if i >= 50:  # warm-up
                rtt.append((t1 - t0) / 1e6)
                service.append(v.latency_us / 1e3)
    added = sorted(r - s for r, s in zip(rtt, service))
    rtt.sort()
    service.sort()

    def pct(xs, p):
        return round(xs[min(len(xs) - 1, int(p * len(xs)))], 3)

    result(
        frames=n,
        rttP50Ms=pct(rtt, 0.5),
        rttP99Ms=pct(rtt, 0.99),
        serviceP50Ms=pct(service, 0.5),
        addedP50Ms=pct(added, 0.5),
        addedP99Ms=pct(added, 0.99),
    )


SCENARIOS = {
    name[len("scenario_") :]: fn for name, fn in globals().items() if name.startswith("scenario_")
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--port", type=int)
    ap.add_argument("--images")
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--secret-file")
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument(
        "--doc", default=os.path.join(HERE, "..", "..", "..", "docs", "protocol.md")
    )
    args = ap.parse_args()
    SCENARIOS[args.scenario](args)


if __name__ == "__main__":
    main()
