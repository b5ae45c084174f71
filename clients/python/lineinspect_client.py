"""Reference client for the line camera protocol, version 1 (docs/protocol.md).

Standard library only (Python 3.8+). For integrators who write their own camera gateway, for
example around a vendor SDK: connect (plain TCP or TLS), HELLO with the camera's token, send
FRAMEs back to back, get every VERDICT on the client's own reader thread, see every ERROR as an
exception or a callback, and reconnect with backoff.

    client = Client("10.0.0.5", 7600, "cam-1", secret_file="/etc/cam-1.secret")
    ack = client.connect()
    pending = client.send_frame(jpeg_bytes, 1920, 1200, JPEG, capture_time_us=t_us)
    verdict = pending.result(timeout=1.0)   # or on_verdict=callback
    if verdict.reject: ...

The rule this client keeps: a part is never passed that the service did not judge. A frame whose
verdict does not arrive (connection lost, fatal ERROR, client closed) ends with
:class:`NotInspected`, never with a verdict; a verdict with the fail-safe flag or an unknown reason
code is not ``judged``; an unknown verdict value counts as ``reject``.

Threads: :meth:`Client.send_frame` and :meth:`Client.heartbeat` may be called from any thread
(sends are serialised); callbacks run on the client's reader thread (``lineinspect-reader``) and
must not block for long: verdicts of that connection wait behind them. An exception raised by a
callback is logged and does not stop the reader.
"""

import collections
import logging
import select
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

__all__ = [
    "Client",
    "Verdict",
    "HelloAck",
    "PendingFrame",
    "ProtocolError",
    "NotInspected",
    "NotConnected",
    "ProtocolViolation",
    "encode_hello",
    "encode_frame",
    "encode_heartbeat",
    "decode_message",
    "MONO8",
    "BGR8",
    "RGB8",
    "JPEG",
    "PNG",
    "PASS",
    "FAIL",
    "NO_SEQUENCE",
]

LOG = logging.getLogger("lineinspect_client")

MAGIC = b"LI"
VERSION = 1
HEADER = struct.Struct(">2sBBI")  # magic, version, type, bodyLength
FRAME_FIXED = struct.Struct(">QqqHHBBHI")  # §4.3: the 36-byte fixed part
VERDICT_FIXED = struct.Struct(">QBBBBfI")  # §4.4: the first 20 bytes
ERROR_FIXED = struct.Struct(">HBBQ")  # §4.5: the first 12 bytes
ACK_FIXED = struct.Struct(">III")  # §4.2: the first 12 bytes

TYPE_HELLO = 0x01
TYPE_HELLO_ACK = 0x02
TYPE_FRAME = 0x03
TYPE_VERDICT = 0x04
TYPE_ERROR = 0x05
TYPE_HEARTBEAT = 0x06

MONO8 = 1
BGR8 = 2
RGB8 = 3
JPEG = 16
PNG = 17

PASS = 0
FAIL = 1

NO_SEQUENCE = 0xFFFFFFFFFFFFFFFF
MAX_TOKEN_BYTES = 1024
MAX_CAMERA_ID_BYTES = 64

REASONS = {
    0: "NONE",
    1: "OVERLOAD",
    2: "DEADLINE",
    3: "INFERENCE_ERROR",
    4: "NO_MODEL",
    5: "BAD_IMAGE",
    6: "UNFIT_IMAGE",
}

ERRORS = {
    1: ("BAD_MAGIC", True),
    2: ("UNSUPPORTED_VERSION", True),
    3: ("UNKNOWN_MESSAGE_TYPE", True),
    4: ("MESSAGE_TOO_LARGE", True),
    5: ("MALFORMED_MESSAGE", True),
    6: ("HELLO_REQUIRED", True),
    7: ("DUPLICATE_HELLO", True),
    8: ("INVALID_CAMERA_ID", True),
    9: ("CAMERA_ID_IN_USE", True),
    10: ("IDLE_TIMEOUT", True),
    11: ("SERVICE_SHUTTING_DOWN", True),
    12: ("VERDICTS_NOT_READ", True),
    13: ("CONNECTION_LIMIT", True),
    14: ("HELLO_TIMEOUT", True),
    15: ("MESSAGE_TIMEOUT", True),
    16: ("AUTHENTICATION_FAILED", True),
    17: ("CAMERA_ID_TAKEN_OVER", True),
    20: ("PAYLOAD_LENGTH_MISMATCH", False),
    21: ("IMAGE_SIZE_MISMATCH", False),
    22: ("UNKNOWN_PIXEL_FORMAT", False),
    23: ("BAD_IMAGE", False),
}

# Fatal errors after which reconnecting cannot help (§4.1, §7): an operator must fix the id or
# secret, or find the second device that uses this camera's id.
PERMANENT_ERRORS = frozenset({8, 16, 17})

_ID_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
)


# --------------------------------------------------------------------------------------------
# Exceptions and values
# --------------------------------------------------------------------------------------------


class ProtocolError(Exception):
    """An ERROR message from the service (§4.5, §7).

    ``fatal``: the service closes the connection right after it. A non-fatal one concerns the
    frame ``sequence``, which still gets its fail-safe verdict (``Verdict.error`` is this error).
    """

    def __init__(self, code: int, fatal: bool, sequence: int, message: str):
        self.code = code
        self.name = ERRORS.get(code, ("UNKNOWN_%d" % code, True))[0]
        self.fatal = fatal
        self.sequence = sequence
        self.message = message
        where = "" if sequence == NO_SEQUENCE else " (frame %d)" % sequence
        super().__init__(
            "%s ERROR %d %s%s: %s"
            % ("fatal" if fatal else "non-fatal", code, self.name, where, message)
        )

    @property
    def permanent(self) -> bool:
        """True when reconnecting cannot help: a wrong id or secret, or the id taken over."""
        return self.fatal and self.code in PERMANENT_ERRORS


class ProtocolViolation(Exception):
    """The service sent bytes this client cannot accept (bad magic, a verdict out of order)."""


class NotConnected(ConnectionError):
    """The client has no connection now (not connected yet, reconnecting, stopped or closed)."""


class NotInspected(Exception):
    """The frame's verdict did not arrive: treat the part as not inspected (reject it).

    ``cause`` is what ended the connection: a fatal :class:`ProtocolError`, an ``OSError``, a
    :class:`ProtocolViolation`, or None when the client was closed.
    """

    def __init__(self, sequence: int, cause):
        self.sequence = sequence
        self.cause = cause
        super().__init__("frame %d was not inspected: %s" % (sequence, cause or "client closed"))


@dataclass(frozen=True)
class HelloAck:
    """The service's answer to HELLO (§4.2)."""

    max_message_bytes: int
    budget_ms: int
    idle_timeout_ms: int
    line_name: str


@dataclass(frozen=True)
class Verdict:
    """A VERDICT (§4.4). ``verdict`` is the wire value: 0 PASS, 1 FAIL."""

    sequence: int
    verdict: int
    fail_safe: bool
    reason: int
    score: float
    latency_us: int
    label: str
    model_name: str
    model_version: str
    error: Optional[ProtocolError] = field(default=None, compare=False)

    @property
    def reason_name(self) -> str:
        return REASONS.get(self.reason, "UNKNOWN_%d" % self.reason)

    @property
    def judged(self) -> bool:
        """The model judged the frame: not fail-safe and reason NONE (an unknown reason is not)."""
        return not self.fail_safe and self.reason == 0

    @property
    def reject(self) -> bool:
        """Reject the part: FAIL, or a verdict value this client does not know."""
        return self.verdict != PASS


# --------------------------------------------------------------------------------------------
# Codec (§3, §4): pure functions, usable without a connection
# --------------------------------------------------------------------------------------------


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def _read_string(body: bytes, offset: int):
    if offset + 2 > len(body):
        raise ProtocolViolation("string length at byte %d is past the body's end" % offset)
    (n,) = struct.unpack_from(">H", body, offset)
    end = offset + 2 + n
    if end > len(body):
        raise ProtocolViolation("string at byte %d ends past the body's end" % offset)
    return body[offset + 2 : end].decode("utf-8", errors="replace"), end


def _message(msg_type: int, body: bytes) -> bytes:
    return HEADER.pack(MAGIC, VERSION, msg_type, len(body)) + body


def check_camera_id(camera_id: str) -> bytes:
    """The id's bytes, or ValueError saying why the service would refuse it (§4.1, ERROR 8)."""
    raw = camera_id.encode("utf-8")
    if not 1 <= len(raw) <= MAX_CAMERA_ID_BYTES:
        raise ValueError("camera id %r must be 1..64 bytes, is %d" % (camera_id, len(raw)))
    bad = sorted(set(camera_id) - _ID_CHARS)
    if bad:
        raise ValueError(
            "camera id %r has characters outside A-Z a-z 0-9 . _ : - : %r" % (camera_id, bad)
        )
    if camera_id.startswith("."):
        raise ValueError("camera id %r must not start with '.'" % camera_id)
    return raw


def token_from_secret(secret_hex: Optional[str]) -> bytes:
    """The HELLO token for a secret written as hex digits (§4.1): its bytes, not its text."""
    if secret_hex is None:
        return b""
    text = "".join(secret_hex.split())
    try:
        token = bytes.fromhex(text)
    except ValueError as e:
        raise ValueError("camera secret is not hex digits (two per byte): %s" % e) from None
    if len(token) > MAX_TOKEN_BYTES:
        raise ValueError("camera secret has %d bytes, at most %d" % (len(token), MAX_TOKEN_BYTES))
    return token


def encode_hello(camera_id: str, token: bytes = b"") -> bytes:
    """A complete HELLO message (§4.1)."""
    raw = check_camera_id(camera_id)
    if len(token) > MAX_TOKEN_BYTES:
        raise ValueError("token has %d bytes, at most %d" % (len(token), MAX_TOKEN_BYTES))
    body = struct.pack(">H", len(raw)) + raw + struct.pack(">H", len(token)) + bytes(token)
    return _message(TYPE_HELLO, body)


def encode_frame(
    sequence: int,
    width: int,
    height: int,
    pixel_format: int,
    payload,
    capture_time_us: int = 0,
    encoder_count: Optional[int] = None,
) -> bytes:
    """A complete FRAME message (§4.3). Raises ValueError only for what cannot be encoded.

    The payload's content is not checked here: a frame the service refuses (wrong size, unknown
    format, a broken JPEG) still gets its fail-safe verdict and is recorded there, which is what
    a gateway wants for a broken image rather than a part that silently has no verdict.
    """
    if not 0 <= sequence < NO_SEQUENCE:
        raise ValueError("sequence %r must be 0..2^64-2" % (sequence,))
    if not 0 <= width <= 0xFFFF or not 0 <= height <= 0xFFFF:
        raise ValueError("width %r / height %r must fit in u16" % (width, height))
    if not 0 <= pixel_format <= 0xFF:
        raise ValueError("pixel format %r must fit in u8" % (pixel_format,))
    flags = 0 if encoder_count is None else 1
    payload = bytes(payload)
    fixed = FRAME_FIXED.pack(
        sequence,
        capture_time_us,
        0 if encoder_count is None else encoder_count,
        width,
        height,
        pixel_format,
        flags,
        0,
        len(payload),
    )
    return HEADER.pack(MAGIC, VERSION, TYPE_FRAME, len(fixed) + len(payload)) + fixed + payload


def encode_heartbeat(time_us: Optional[int] = None) -> bytes:
    """A HEARTBEAT (§4.6): empty, or the sender's time in µs since the epoch (0 = no clock)."""
    return _message(TYPE_HEARTBEAT, b"" if time_us is None else struct.pack(">q", time_us))


def decode_message(msg_type: int, body: bytes):
    """A service message's body as HelloAck, Verdict, ProtocolError or a heartbeat time (int/None).

    Bytes after the known fields are ignored (§8, forward compatibility).
    """
    if msg_type == TYPE_HELLO_ACK:
        if len(body) < ACK_FIXED.size + 2:
            raise ProtocolViolation("HELLO_ACK body of %d bytes is too short" % len(body))
        max_bytes, budget, idle = ACK_FIXED.unpack_from(body, 0)
        line, _ = _read_string(body, ACK_FIXED.size)
        return HelloAck(max_bytes, budget, idle, line)
    if msg_type == TYPE_VERDICT:
        if len(body) < VERDICT_FIXED.size + 6:
            raise ProtocolViolation("VERDICT body of %d bytes is too short" % len(body))
        seq, verdict, flags, reason, _, score, latency = VERDICT_FIXED.unpack_from(body, 0)
        label, at = _read_string(body, VERDICT_FIXED.size)
        model, at = _read_string(body, at)
        version, _ = _read_string(body, at)
        return Verdict(seq, verdict, bool(flags & 1), reason, score, latency, label, model, version)
    if msg_type == TYPE_ERROR:
        if len(body) < ERROR_FIXED.size + 2:
            raise ProtocolViolation("ERROR body of %d bytes is too short" % len(body))
        code, flags, _, seq = ERROR_FIXED.unpack_from(body, 0)
        text, _ = _read_string(body, ERROR_FIXED.size)
        # An unknown error code is treated as fatal (§8), whatever its flag says.
        fatal = bool(flags & 1) or code not in ERRORS
        return ProtocolError(code, fatal, seq, text)
    if msg_type == TYPE_HEARTBEAT:
        if len(body) == 8:
            return struct.unpack(">q", body)[0]
        return None
    raise ProtocolViolation("unexpected message type 0x%02x from the service" % msg_type)


# --------------------------------------------------------------------------------------------
# One frame's outcome
# --------------------------------------------------------------------------------------------


class PendingFrame:
    """A sent frame waiting for its verdict. Completed once, by the reader thread (or by the loss
    of the connection): :meth:`result` returns the :class:`Verdict` or raises :class:`NotInspected`.
    """

    __slots__ = ("sequence", "sent_ns", "_done", "_verdict", "_failure", "_error")

    def __init__(self, sequence: int):
        self.sequence = sequence
        self.sent_ns = 0
        self._done = threading.Event()
        self._verdict = None
        self._failure = None
        self._error = None

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: Optional[float] = None) -> Verdict:
        """The verdict; NotInspected when the connection ended first; TimeoutError on timeout."""
        if not self._done.wait(timeout):
            raise TimeoutError("no verdict for frame %d within %s s" % (self.sequence, timeout))
        if self._failure is not None:
            raise self._failure
        return self._verdict

    def _complete(self, verdict=None, failure=None):
        self._verdict = verdict
        self._failure = failure
        self._done.set()


# --------------------------------------------------------------------------------------------
# One TCP (or TLS) connection
# --------------------------------------------------------------------------------------------


class _Connection:
    """One connection's socket and its frames in flight. The socket is non-blocking after HELLO;
    every recv/send on it holds ``io_lock`` (an SSL object must not be used by two threads at
    once) but never while waiting for the socket, so a writer waiting for buffer space cannot
    stop the reader from taking verdicts off the wire (the service stops reading a camera that
    does not read its verdicts, §8).
    """

    def __init__(self, sock, ack: HelloAck):
        self.sock = sock
        self.ack = ack
        self.io_lock = threading.Lock()
        self.pending = collections.deque()
        self.pending_lock = threading.Lock()
        self.closed = False
        self.last_write = time.monotonic()
        self.reader = None

    def write(self, data: bytes, timeout_s: float):
        view = memoryview(data)
        deadline = time.monotonic() + timeout_s
        while view:
            if self.closed:
                raise OSError("connection closed")
            try:
                with self.io_lock:
                    n = self.sock.send(view)
                view = view[n:]
                continue
            except ssl.SSLWantReadError:
                wait = ([self.sock], [])
            except (ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                wait = ([], [self.sock])
            left = deadline - time.monotonic()
            if left <= 0:
                raise OSError(
                    "could not send for %.1f s: the service is not reading (overloaded?)"
                    % timeout_s
                )
            select.select(wait[0], wait[1], [], min(left, 0.2))
        self.last_write = time.monotonic()

    def recv(self, n: int) -> bytes:
        """Some bytes (b"" at end of stream), waiting up to 0.2 s; None when none came."""
        pending = self.sock.pending() if isinstance(self.sock, ssl.SSLSocket) else 0
        if not pending:
            readable, _, _ = select.select([self.sock], [], [], 0.2)
            if not readable:
                return None
        try:
            with self.io_lock:
                return self.sock.recv(n)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
            return None

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


def _read_exact_blocking(sock, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("the service closed the connection")
        out += chunk
    return bytes(out)


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


class Client:
    """A camera's connection to the inspection service, kept up across failures.

    Parameters:
      host, port: the service's camera port (``ingest.host`` / ``ingest.port``).
      camera_id: this camera's id (§4.1); checked at once (ValueError).
      secret / secret_file: the camera's secret as hex text, or a file holding it
        (``ingest.cameras.<id>.secret`` / ``secretFile`` on the service); none for a tokenless
        camera or an open port.
      tls: True to speak TLS (§1.1) with ``ca_file`` (the CA that issued the service's
        certificate), and ``cert_file`` / ``key_file`` for mutual TLS; or an ``ssl.SSLContext``.
        ``server_hostname`` defaults to ``host`` (checked against the certificate's SAN).
      on_verdict(verdict), on_error(protocol_error), on_connect(hello_ack),
        on_disconnect(cause): callbacks on the reader thread (each optional).
      reconnect: reconnect after a lost connection or a fatal ERROR, with backoff from
        ``backoff_initial_s`` doubling to ``backoff_max_s`` (§10), except after a permanent error
        (AUTHENTICATION_FAILED, CAMERA_ID_TAKEN_OVER, INVALID_CAMERA_ID): then the client stops
        and ``stopped_by`` holds that error.
      heartbeat: send a HEARTBEAT when nothing was sent for ``idleTimeoutMs / 3`` (§8), stamped
        with ``clock_us()`` (the clock of ``capture_time_us``; default the system clock).
      connect_timeout_s: TCP connect + TLS handshake + HELLO_ACK (the service allows
        ``ingest.helloTimeoutMs``, default 2 s, for all of it).
      send_timeout_s: a send that cannot progress this long ends the connection (default: the
        service's idle timeout).
    """

    def __init__(
        self,
        host: str,
        port: int,
        camera_id: str,
        secret: Optional[str] = None,
        secret_file: Optional[str] = None,
        tls=False,
        ca_file: Optional[str] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        server_hostname: Optional[str] = None,
        on_verdict: Optional[Callable[[Verdict], None]] = None,
        on_error: Optional[Callable[[ProtocolError], None]] = None,
        on_connect: Optional[Callable[[HelloAck], None]] = None,
        on_disconnect: Optional[Callable[[object], None]] = None,
        reconnect: bool = True,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 10.0,
        heartbeat: bool = True,
        clock_us: Optional[Callable[[], int]] = None,
        connect_timeout_s: float = 2.0,
        send_timeout_s: Optional[float] = None,
    ):
        check_camera_id(camera_id)
        if secret is not None and secret_file is not None:
            raise ValueError("give the camera's secret or secret_file, not both")
        if secret_file is not None:
            try:
                with open(secret_file, "r", encoding="ascii") as f:
                    secret = f.read()
            except (OSError, UnicodeDecodeError) as e:
                raise ValueError("cannot read camera secret file %s: %s" % (secret_file, e))
        self.host = host
        self.port = port
        self.camera_id = camera_id
        self._token = token_from_secret(secret)
        self._ssl_context = self._tls_context(tls, ca_file, cert_file, key_file)
        self._server_hostname = server_hostname or host
        self.on_verdict = on_verdict
        self.on_error = on_error
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.reconnect = reconnect
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.heartbeat_enabled = heartbeat
        self.clock_us = clock_us or (lambda: time.time_ns() // 1000)
        self.connect_timeout_s = connect_timeout_s
        self.send_timeout_s = send_timeout_s

        self._state_lock = threading.Condition()
        self._send_lock = threading.Lock()
        self._conn: Optional[_Connection] = None
        self._closed = False
        self._started = False
        self._next_sequence = 1
        self.stopped_by: Optional[ProtocolError] = None
        self.connects = 0
        self.disconnects = 0
        self.verdicts = 0
        self.not_inspected = 0
        self._heartbeat_thread = None
        self._reconnect_thread = None

    # ---- set-up -------------------------------------------------------------------------------

    @staticmethod
    def _tls_context(tls, ca_file, cert_file, key_file):
        if isinstance(tls, ssl.SSLContext):
            return tls
        if not tls:
            if ca_file or cert_file or key_file:
                raise ValueError("ca_file / cert_file / key_file given but tls is off")
            return None
        if ca_file is None:
            raise ValueError("tls needs ca_file: the CA that issued the service's certificate")
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
        if cert_file or key_file:
            if not (cert_file and key_file):
                raise ValueError("mutual TLS needs both cert_file and key_file")
            ctx.load_cert_chain(cert_file, key_file)
        return ctx

    def connect(self) -> HelloAck:
        """Connects and says HELLO; returns the HELLO_ACK.

        Raises ProtocolError for a fatal ERROR answering the HELLO (AUTHENTICATION_FAILED,
        CAMERA_ID_IN_USE, CONNECTION_LIMIT, ...), ``ssl.SSLError`` / ``OSError`` for a failed
        connect or handshake. From then on the client reconnects by itself when ``reconnect``.
        """
        with self._state_lock:
            if self._closed:
                raise NotConnected("client is closed")
            self._started = True
        ack = self._open()
        if self.heartbeat_enabled and self._heartbeat_thread is None:
            self._heartbeat_thread = threading.Thread(
                target=self._heartbeats, name="lineinspect-heartbeat", daemon=True
            )
            self._heartbeat_thread.start()
        return ack

    def _open(self) -> HelloAck:
        raw = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        sock = raw
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl_context is not None:
                sock = self._ssl_context.wrap_socket(raw, server_hostname=self._server_hostname)
            sock.settimeout(self.connect_timeout_s)
            sock.sendall(encode_hello(self.camera_id, self._token))
            msg_type, body = self._read_blocking(sock)
            answer = decode_message(msg_type, body)
            if isinstance(answer, ProtocolError):
                raise answer
            if not isinstance(answer, HelloAck):
                raise ProtocolViolation("expected HELLO_ACK, got message type %d" % msg_type)
            sock.setblocking(False)
        except BaseException:
            try:
                sock.close()
            except OSError:
                pass
            raise
        conn = _Connection(sock, answer)
        conn.reader = threading.Thread(
            target=self._read_loop, args=(conn,), name="lineinspect-reader", daemon=True
        )
        with self._state_lock:
            if self._closed:
                conn.close()
                raise NotConnected("client is closed")
            self._conn = conn
            self.connects += 1
            self._state_lock.notify_all()
        conn.reader.start()
        self._call(self.on_connect, answer)
        return answer

    @staticmethod
    def _read_blocking(sock):
        header = _read_exact_blocking(sock, HEADER.size)
        magic, version, msg_type, length = HEADER.unpack(header)
        if magic != MAGIC or version != VERSION:
            raise ProtocolViolation("bad header %s from the service" % header.hex())
        return msg_type, _read_exact_blocking(sock, length)

    # ---- state --------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None

    @property
    def hello_ack(self) -> Optional[HelloAck]:
        conn = self._conn
        return conn.ack if conn else None

    def wait_connected(self, timeout: float) -> bool:
        """True once a connection is up (at once if it is), False after ``timeout`` seconds or
        when the client stopped or was closed."""
        deadline = time.monotonic() + timeout
        with self._state_lock:
            while self._conn is None:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed or self.stopped_by is not None:
                    return False
                self._state_lock.wait(left)
            return True

    def in_flight(self) -> int:
        conn = self._conn
        if conn is None:
            return 0
        with conn.pending_lock:
            return len(conn.pending)

    # ---- sending ------------------------------------------------------------------------------

    def send_frame(
        self,
        payload,
        width: int,
        height: int,
        pixel_format: int,
        sequence: Optional[int] = None,
        capture_time_us: int = 0,
        encoder_count: Optional[int] = None,
    ) -> PendingFrame:
        """Sends one FRAME and returns its :class:`PendingFrame` at once (no waiting for the
        verdict; frames may be sent back to back).

        ``sequence`` defaults to a counter that starts at 1 and continues across reconnects (a
        part's identity is camera id + sequence, §4.3). Blocks only while TCP holds the frame back.
        Raises NotConnected when there is no connection (reconnecting, stopped, closed): that
        part is not inspected; ValueError for a frame that cannot be encoded or is larger than
        the service's ``maxMessageBytes`` (that would be a fatal ERROR for the whole connection).
        """
        with self._send_lock:
            conn = self._conn
            if conn is None:
                raise NotConnected(self._why_not_connected())
            if sequence is None:
                sequence = self._next_sequence
            data = encode_frame(
                sequence, width, height, pixel_format, payload, capture_time_us, encoder_count
            )
            if len(data) - HEADER.size > conn.ack.max_message_bytes:
                raise ValueError(
                    "frame body of %d bytes exceeds the service's maxMessageBytes %d"
                    % (len(data) - HEADER.size, conn.ack.max_message_bytes)
                )
            self._next_sequence = sequence + 1
            pending = PendingFrame(sequence)
            pending.sent_ns = time.monotonic_ns()
            with conn.pending_lock:
                # Registered before the bytes leave: the verdict may come back at once.
                conn.pending.append(pending)
            try:
                conn.write(data, self._send_timeout(conn))
            except OSError as e:
                self._lost(conn, e)
            return pending

    def heartbeat(self):
        """Sends one timestamped HEARTBEAT now (the client also does this by itself)."""
        with self._send_lock:
            conn = self._conn
            if conn is None:
                raise NotConnected(self._why_not_connected())
            try:
                conn.write(encode_heartbeat(self.clock_us()), self._send_timeout(conn))
            except OSError as e:
                self._lost(conn, e)
                raise NotConnected("connection lost: %s" % e) from e

    def _send_timeout(self, conn):
        if self.send_timeout_s is not None:
            return self.send_timeout_s
        return max(1.0, conn.ack.idle_timeout_ms / 1000.0)

    def _why_not_connected(self):
        if self._closed:
            return "client is closed"
        if self.stopped_by is not None:
            return "client stopped after %s" % self.stopped_by
        if not self._started:
            return "not connected: call connect() first"
        return "not connected (reconnecting)"

    def _heartbeats(self):
        while not self._closed:
            conn = self._conn
            interval = 1.0 if conn is None else max(0.05, conn.ack.idle_timeout_ms / 3000.0)
            if conn is not None and time.monotonic() - conn.last_write >= interval:
                try:
                    self.heartbeat()
                except NotConnected:
                    pass
            time.sleep(min(interval / 2, 0.5))

    # ---- receiving ----------------------------------------------------------------------------

    def _read_loop(self, conn: _Connection):
        buf = bytearray()
        cause = None
        try:
            while not conn.closed:
                chunk = conn.recv(65536)
                if chunk is None:
                    continue
                if not chunk:
                    cause = ConnectionError("the service closed the connection")
                    break
                buf += chunk
                while len(buf) >= HEADER.size:
                    magic, version, msg_type, length = HEADER.unpack_from(buf, 0)
                    if magic != MAGIC or version != VERSION:
                        raise ProtocolViolation("bad header %s from the service" % buf[:8].hex())
                    if len(buf) < HEADER.size + length:
                        break
                    body = bytes(buf[HEADER.size : HEADER.size + length])
                    del buf[: HEADER.size + length]
                    fatal = self._dispatch(conn, msg_type, body)
                    if fatal is not None:
                        cause = fatal
                        return
        except (OSError, ProtocolViolation) as e:
            cause = e
        finally:
            self._lost(conn, cause)

    def _dispatch(self, conn, msg_type, body):
        message = decode_message(msg_type, body)
        if isinstance(message, Verdict):
            with conn.pending_lock:
                head = conn.pending[0] if conn.pending else None
                if head is None or head.sequence != message.sequence:
                    raise ProtocolViolation(
                        "VERDICT for frame %d but the next frame waiting is %s"
                        % (message.sequence, head.sequence if head else "none")
                    )
                conn.pending.popleft()
            if head._error is not None:
                message = Verdict(**{**message.__dict__, "error": head._error})
            self.verdicts += 1
            head._complete(verdict=message)
            self._call(self.on_verdict, message)
        elif isinstance(message, ProtocolError):
            if not message.fatal:
                with conn.pending_lock:
                    for p in conn.pending:
                        if p.sequence == message.sequence and p._error is None:
                            p._error = message
                            break
                self._call(self.on_error, message)
                return None
            self._call(self.on_error, message)
            return message
        elif isinstance(message, HelloAck):
            raise ProtocolViolation("a second HELLO_ACK")
        return None

    def _lost(self, conn: _Connection, cause):
        """Ends ``conn``: every frame still waiting is NotInspected, then maybe reconnect."""
        with self._state_lock:
            if conn.closed and self._conn is not conn:
                first = False
            else:
                first = self._conn is conn
                if first:
                    self._conn = None
                    self.disconnects += 1
            conn.close()
            if isinstance(cause, ProtocolError) and cause.permanent:
                self.stopped_by = cause
            self._state_lock.notify_all()
        with conn.pending_lock:
            stranded = list(conn.pending)
            conn.pending.clear()
        for p in stranded:
            self.not_inspected += 1
            p._complete(failure=NotInspected(p.sequence, cause))
        if not first:
            return
        if cause is not None:
            LOG.warning("camera %s: connection lost: %s", self.camera_id, cause)
        self._call(self.on_disconnect, cause)
        if self.reconnect and not self._closed and self.stopped_by is None:
            t = threading.Thread(target=self._reconnect_loop, name="lineinspect-reconnect")
            t.daemon = True
            self._reconnect_thread = t
            t.start()

    def _reconnect_loop(self):
        delay = self.backoff_initial_s
        while not self._closed and self.stopped_by is None:
            with self._state_lock:
                self._state_lock.wait(delay)
            if self._closed:
                return
            try:
                self._open()
                return
            except ProtocolError as e:
                LOG.warning("camera %s: reconnect refused: %s", self.camera_id, e)
                self._call(self.on_error, e)
                if e.permanent:
                    with self._state_lock:
                        self.stopped_by = e
                        self._state_lock.notify_all()
                    return
            except (OSError, ProtocolViolation) as e:
                LOG.info("camera %s: reconnect failed: %s", self.camera_id, e)
            delay = min(delay * 2, self.backoff_max_s)

    def _call(self, callback, arg):
        if callback is None:
            return
        try:
            callback(arg)
        except Exception:  # a user callback must not stop the reader: verdicts would be lost
            LOG.exception("camera %s: callback %r failed", self.camera_id, callback)

    # ---- closing ------------------------------------------------------------------------------

    def close(self, drain_timeout_s: float = 0.0):
        """Stops the client. With ``drain_timeout_s``, first waits that long for the verdicts
        of frames in flight; frames still waiting then end with NotInspected."""
        deadline = time.monotonic() + drain_timeout_s
        while drain_timeout_s > 0 and self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.005)
        with self._state_lock:
            self._closed = True
            conn = self._conn
            self._state_lock.notify_all()
        if conn is not None:
            self._lost(conn, None)
            if conn.reader is not None and conn.reader is not threading.current_thread():
                conn.reader.join(2.0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
