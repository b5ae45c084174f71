"""GigE Vision / GenICam camera -> inspection service gateway, through Aravis (docs/drop.md,
"GigE Vision gateway").

A separate process on purpose: a crash in the native camera stack (libaravis, the NIC driver's
quirks) ends this process only; the service sees a camera connection close and keeps judging the
line's other cameras. The gateway speaks protocol v1 through the reference client
(lineinspect_client.py, next to this file).

    /usr/bin/python3 aravis_gateway.py --service 127.0.0.1:7600 --camera-id cam-1 \\
        [--device Aravis-Fake-GV01] [--secret-file cam-1.secret] [--pixel-format Mono8] \\
        [--exposure-us 2000] [--frame-rate 30] [--frames N] [--seconds S]

Needs Debian packages gir1.2-aravis-0.8 (pulls libaravis-0.8-0) and python3-gi; run with
/usr/bin/python3.

Per buffer:
  - complete (ARV_BUFFER_STATUS_SUCCESS): a FRAME with the pixels; sequence = the camera's frame
    id, extended to 64 bits across wraps and camera restarts (always increasing); captureTimeUs =
    the buffer's system timestamp (the host's clock when the frame arrived);
  - incomplete (missing packets, timeout, size mismatch, ...): counted, and sent as a FRAME with an
    EMPTY payload, so the service answers with its fail-safe verdict (IMAGE_SIZE_MISMATCH ->
    BAD_IMAGE) and records the part: a broken frame is never judged, and never silently dropped;
  - a pixel format with no protocol v1 code: sent with an empty payload too (fail-safe).
The camera going away (no buffer for --lost-after-s) closes it and reopens it with backoff; the
service going away is the client's reconnect (frames meanwhile are counted as not sent: those
parts are not inspected).

Prints one ``RESULT {json}`` line with its counters when it stops (--frames / --seconds reached,
or SIGTERM / SIGINT).
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lineinspect_client as li  # noqa: E402

# GenICam PFNC codes Aravis reports -> protocol v1 pixel formats (docs/protocol.md §5).
PFNC = {0x01080001: li.MONO8, 0x02180014: li.RGB8, 0x02180015: li.BGR8}


class SequenceExtender:
    """A camera frame id (16 bits on GigE Vision 1.x, wraps; resets when the camera restarts)
    turned into a 64-bit sequence that always increases."""

    def __init__(self):
        self.base = 0
        self.last = None

    def next(self, frame_id):
        if self.last is not None and frame_id <= self.last:
            self.base += self.last + 1  # a wrap or a camera restart: continue above the last one
        self.last = frame_id
        return self.base + frame_id


class Gateway:
    def __init__(self, args):
        import gi

        gi.require_version("Aravis", "0.8")
        from gi.repository import Aravis, GLib

        self.Aravis = Aravis
        self.GLib = GLib
        self.args = args
        host, port = args.service.rsplit(":", 1)
        self.counts = dict(
            buffers=0, complete=0, incomplete=0, unsupportedFormat=0, sent=0, notSent=0,
            verdicts=0, judged=0, failSafe=0, notInspected=0, cameraOpens=0, cameraLost=0,
            underruns=0,
        )
        self.lock = threading.Lock()
        self.pending = []
        self.client = li.Client(
            host, int(port), args.camera_id, secret_file=args.secret_file,
            tls=bool(args.ca), ca_file=args.ca, cert_file=args.cert, key_file=args.key,
            on_verdict=self._verdict, on_error=self._error,
        )
        self.sequence = SequenceExtender()
        self.width = self.height = 1
        self.camera_format = li.MONO8
        self.stop = threading.Event()
        self.transfer_ms = []
        self.hop_ms = []

    def _count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def _verdict(self, v):
        self._count("verdicts")
        self._count("judged" if v.judged else "failSafe")

    def _error(self, e):
        if e.fatal:
            print("gateway: service: %s" % e, file=sys.stderr, flush=True)

    def open_camera(self):
        delay = 0.2
        while not self.stop.is_set():
            try:
                self.Aravis.update_device_list()
                cam = self.Aravis.Camera.new(self.args.device)
                if self.args.pixel_format:
                    cam.set_pixel_format_from_string(self.args.pixel_format)
                if self.args.exposure_us:
                    cam.set_exposure_time(self.args.exposure_us)
                if self.args.frame_rate:
                    cam.set_frame_rate(self.args.frame_rate)
                stream = cam.create_stream(None, None)
                size = cam.get_payload()
                for _ in range(8):
                    stream.push_buffer(self.Aravis.Buffer.new_allocate(size))
                region = cam.get_region()
                self.width, self.height = region[2], region[3]
                self.camera_format = PFNC.get(cam.get_pixel_format())
                cam.start_acquisition()
                self._count("cameraOpens")
                return cam, stream
            except self.GLib.Error as e:
                print("gateway: camera %s: %s" % (self.args.device or "(first)", e.message),
                      file=sys.stderr, flush=True)
                self.stop.wait(delay)
                delay = min(delay * 2, 5.0)
        return None, None

    def send(self, buf):
        Aravis = self.Aravis
        status = buf.get_status()
        if status == Aravis.BufferStatus.SUCCESS:
            width, height = buf.get_image_width(), buf.get_image_height()
            fmt = PFNC.get(buf.get_image_pixel_format())
        else:
            # A broken buffer has no trustworthy image header: the camera's configured geometry.
            width, height, fmt = self.width, self.height, self.camera_format
        seq = self.sequence.next(buf.get_frame_id())
        capture_us = buf.get_system_timestamp() // 1000
        if status == Aravis.BufferStatus.SUCCESS and fmt is not None:
            payload = buf.get_data()
            self._count("complete")
            if self.args.measure:
                self.transfer_ms.append((buf.get_system_timestamp() - buf.get_timestamp()) / 1e6)
        else:
            # Never judged: an empty payload makes the service answer fail-safe and record it.
            payload = b""
            if status != Aravis.BufferStatus.SUCCESS:
                self._count("incomplete")
            else:
                self._count("unsupportedFormat")
            fmt = fmt or li.MONO8
            width, height = max(1, width), max(1, height)
        try:
            p = self.client.send_frame(payload, width, height, fmt, sequence=seq,
                                       capture_time_us=capture_us)
            self._count("sent")
            if self.args.measure and payload:
                self.hop_ms.append((time.time_ns() - buf.get_system_timestamp()) / 1e6)
            with self.lock:
                self.pending.append(p)
        except li.NotConnected:
            self._count("notSent")

    def _collect_underruns(self, stream):
        """Frames Aravis dropped for want of a free buffer never reach us: count them (those
        parts are not inspected) from the stream's statistics before the stream goes."""
        if stream is None:
            return
        try:
            _completed, _failures, underruns = stream.get_statistics()
            self._count("underruns", int(underruns))
        except (self.GLib.Error, TypeError, ValueError):
            pass

    def run(self):
        args = self.args
        self.client.connect()
        deadline = time.monotonic() + args.seconds if args.seconds else None
        cam, stream = self.open_camera()
        last_buffer = time.monotonic()
        while not self.stop.is_set() and cam is not None:
            if args.frames and self.counts["buffers"] >= args.frames:
                break
            if deadline and time.monotonic() > deadline:
                break
            buf = stream.timeout_pop_buffer(200_000)
            if buf is None:
                if time.monotonic() - last_buffer > args.lost_after_s:
                    self._count("cameraLost")
                    print("gateway: no frame for %.1f s: reopening the camera" % args.lost_after_s,
                          file=sys.stderr, flush=True)
                    try:
                        cam.stop_acquisition()
                    except self.GLib.Error:
                        pass
                    self._collect_underruns(stream)
                    cam, stream = None, None
                    cam, stream = self.open_camera()
                    last_buffer = time.monotonic()
                continue
            last_buffer = time.monotonic()
            self._count("buffers")
            try:
                self.send(buf)
            finally:
                stream.push_buffer(buf)
        if cam is not None:
            try:
                cam.stop_acquisition()
            except self.GLib.Error:
                pass
            self._collect_underruns(stream)
        for p in list(self.pending):
            try:
                p.result(5.0)
            except (li.NotInspected, TimeoutError):
                self._count("notInspected")
        self.client.close()
        with self.lock:
            out = dict(self.counts)
        if self.args.measure:

            def pct(xs, q):
                xs = sorted(xs)
                return round(xs[min(len(xs) - 1, int(q * len(xs)))], 3) if xs else None

            out.update(
                cameraToHostP50Ms=pct(self.transfer_ms, 0.5),
                cameraToHostP99Ms=pct(self.transfer_ms, 0.99),
                hostToSentP50Ms=pct(self.hop_ms, 0.5),
                hostToSentP99Ms=pct(self.hop_ms, 0.99),
            )
        print("RESULT " + json.dumps(out, sort_keys=True), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--service", required=True, help="host:port of the camera port")
    ap.add_argument("--camera-id", required=True)
    ap.add_argument("--device", help="Aravis device id (default: the first camera found)")
    ap.add_argument("--secret-file")
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--pixel-format", help="GenICam PixelFormat, e.g. Mono8, RGB8Packed")
    ap.add_argument("--exposure-us", type=float)
    ap.add_argument("--frame-rate", type=float)
    ap.add_argument("--frames", type=int, help="stop after this many buffers")
    ap.add_argument("--seconds", type=float, help="stop after this long")
    ap.add_argument("--lost-after-s", type=float, default=2.0)
    ap.add_argument(
        "--measure", action="store_true",
        help="also report camera timestamp -> host arrival and host arrival -> FRAME sent (ms)")
    args = ap.parse_args()
    gw = Gateway(args)
    signal.signal(signal.SIGTERM, lambda *_: gw.stop.set())
    signal.signal(signal.SIGINT, lambda *_: gw.stop.set())
    gw.run()


if __name__ == "__main__":
    main()
