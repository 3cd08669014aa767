#!/usr/bin/env python3
"""ClientHellos of configurable shape, built byte by byte, sent over a real
TCP connection; the server's answer is read and classified.

  hello_shapes.py list [--sni HOST]
        one line per shape: NAME CLASS HS_BYTES WIRE_BYTES DIRECT
          CLASS      wellformed  valid TLS, carries the SNI
                     nosni       valid, but cannot carry an SNI (SSLv2 format)
                     unusual     valid records and message, an order RFC 8446
                                 does not allow (a CCS inside the ClientHello)
                     malformed   one length field off by one
          HS_BYTES   the handshake message, its 4-byte header included (for
                     SSLv2: the message after its 2-byte header)
          WIRE_BYTES every byte the client sends
          DIRECT     what OpenSSL 3.0's s_server answers it with
  hello_shapes.py bytes NAME [--sni HOST]     the shape's bytes, to stdout
  hello_shapes.py send IP PORT NAME [--sni HOST] [--mode one|segments]
                       [--timeout S]
        connect, send the shape, read the answer; print one line:
        "OUTCOME MS SENT" where OUTCOME is
          handshake          a ServerHello record arrived
          alert:NAME         a TLS alert (its description, e.g. decode_error)
          reset              the connection was reset (RST) before any answer
          closed             the server closed (FIN) with nothing sent
          timeout            nothing within S seconds (2) of the last byte sent
          other:HEX          anything else (the first bytes)
        --mode one           the shape in one write (the stack cuts it at
                             the MSS)
        --mode segments      100-byte writes, TCP_NODELAY, 1 ms apart: each
                             its own segment
  hello_shapes.py counters-diff BEFORE.json AFTER.json
        two `ksteer stats -j` snapshots: which part of ksteer served the
        connection between them, and every counter that moved

Every shape is a variation of one realistic TLS 1.3 / 1.2 ClientHello
(supported_versions, key_share with a real X25519 public key,
signature_algorithms, supported_groups, server_name, ALPN), so that
s_server completes a handshake with it when it is well formed. The bytes
are deterministic (the random and session id derive from the shape's
name), so the direct and the ksteer path receive the very same bytes.
"""
import argparse, hashlib, json, select, socket, struct, sys, time

# An X25519 public key, generated once with
#   openssl genpkey -algorithm X25519 -out k.pem
#   openssl pkey -in k.pem -pubout -outform DER | tail -c 32 | xxd -p -c 32
# (the standard library has no X25519). The private key is not needed: the
# ServerHello is the outcome, the handshake is never finished.
X25519_PUBLIC = bytes.fromhex("e2a2b8a61dfa73367c642a07a13aa8db59dfee1405b0d4d4150714e37ff2fd09")

DEFAULT_SNI = "shapes.example"
RECORD_MAX = 16384          # TLS's largest plaintext record
SEGMENT_WRITE = 100         # --mode segments: bytes per write

EXT_SERVER_NAME = 0
EXT_SUPPORTED_GROUPS = 10
EXT_EC_POINT_FORMATS = 11
EXT_SIGNATURE_ALGORITHMS = 13
EXT_ALPN = 16
EXT_PADDING = 21
EXT_ENCRYPT_THEN_MAC = 22
EXT_EXTENDED_MASTER_SECRET = 23
EXT_SESSION_TICKET = 35
EXT_SUPPORTED_VERSIONS = 43
EXT_PSK_KEY_EXCHANGE_MODES = 45
EXT_KEY_SHARE = 51
# Unknown extension types for the many-extensions shapes: 0xa000 + i. The
# range holds no assigned type, and its GREASE values (0xaaaa, 0xbaba) are
# ones too, which servers must ignore like any unknown type.
EXT_UNKNOWN_BASE = 0xA000

ALERTS = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
    21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
    40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
    43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
    46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
    49: "access_denied", 50: "decode_error", 51: "decrypt_error",
    60: "export_restriction", 70: "protocol_version", 71: "insufficient_security",
    80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
    100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
    111: "certificate_unobtainable", 112: "unrecognized_name",
    113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
    115: "unknown_psk_identity", 116: "certificate_required",
    120: "no_application_protocol",
}


# ---- bytes ---------------------------------------------------------------

def u8(n: int) -> bytes:
    return struct.pack("!B", n & 0xFF)


def u16(n: int) -> bytes:
    return struct.pack("!H", n & 0xFFFF)


def u24(n: int) -> bytes:
    return struct.pack("!I", n & 0xFFFFFF)[1:]


class Lengths:
    """Writes length fields, each as the true length plus its skew: the
    malformed shapes set one field's skew to +1 or -1. Fields: record,
    handshake, session_id, cipher_suites, compression, extensions,
    server_name_ext, server_name_list, host_name, alpn_list."""

    FIELDS = ("record", "handshake", "session_id", "cipher_suites", "compression",
              "extensions", "server_name_ext", "server_name_list", "host_name", "alpn_list")

    def __init__(self, skew=None):
        self.skew = dict(skew or {})
        unknown = set(self.skew) - set(self.FIELDS)
        if unknown:
            raise ValueError(f"unknown length fields: {sorted(unknown)}")

    def of(self, field: str, n: int) -> int:
        return n + self.skew.get(field, 0)

    def vec8(self, field: str, body: bytes) -> bytes:
        return u8(self.of(field, len(body))) + body

    def vec16(self, field: str, body: bytes) -> bytes:
        return u16(self.of(field, len(body))) + body


PLAIN = Lengths()


def ext(ext_type: int, body: bytes, lengths: Lengths = PLAIN, field: str = "") -> bytes:
    n = lengths.of(field, len(body)) if field else len(body)
    return u16(ext_type) + u16(n) + body


def ext_server_name(host: str, lengths: Lengths) -> bytes:
    name = host.encode()
    entry = u8(0) + lengths.vec16("host_name", name)                  # host_name
    return ext(EXT_SERVER_NAME, lengths.vec16("server_name_list", entry), lengths,
               "server_name_ext")


def ext_alpn(protocols, lengths: Lengths) -> bytes:
    names = b"".join(u8(len(p)) + p.encode() for p in protocols)
    return ext(EXT_ALPN, lengths.vec16("alpn_list", names))


def base_extensions(sni, alpn, lengths: Lengths):
    """The extensions of a realistic TLS 1.3 client, as (type, bytes) in the
    order sent; the SNI sits in the middle (after supported_groups)."""
    groups = b"".join(u16(g) for g in (0x001D, 0x0017, 0x0018))        # x25519, P-256, P-384
    sigalgs = b"".join(u16(a) for a in (0x0403, 0x0503, 0x0603, 0x0807, 0x0804, 0x0805,
                                        0x0806, 0x0401, 0x0501, 0x0601))
    key_share = u16(0x001D) + u16(len(X25519_PUBLIC)) + X25519_PUBLIC
    exts = [
        (EXT_EC_POINT_FORMATS, ext(EXT_EC_POINT_FORMATS, u8(1) + u8(0))),   # uncompressed
        (EXT_SUPPORTED_GROUPS, ext(EXT_SUPPORTED_GROUPS, u16(len(groups)) + groups)),
    ]
    if sni is not None:
        exts.append((EXT_SERVER_NAME, ext_server_name(sni, lengths)))
    exts += [(EXT_SESSION_TICKET, ext(EXT_SESSION_TICKET, b""))]
    if alpn:
        exts.append((EXT_ALPN, ext_alpn(alpn, lengths)))
    exts += [
        (EXT_ENCRYPT_THEN_MAC, ext(EXT_ENCRYPT_THEN_MAC, b"")),
        (EXT_EXTENDED_MASTER_SECRET, ext(EXT_EXTENDED_MASTER_SECRET, b"")),
        (EXT_SIGNATURE_ALGORITHMS, ext(EXT_SIGNATURE_ALGORITHMS, u16(len(sigalgs)) + sigalgs)),
        (EXT_SUPPORTED_VERSIONS, ext(EXT_SUPPORTED_VERSIONS, u8(4) + u16(0x0304) + u16(0x0303))),
        (EXT_PSK_KEY_EXCHANGE_MODES, ext(EXT_PSK_KEY_EXCHANGE_MODES, u8(1) + u8(1))),  # psk_dhe_ke
        (EXT_KEY_SHARE, ext(EXT_KEY_SHARE, u16(len(key_share)) + key_share)),
    ]
    return exts


CIPHER_SUITES = (0x1301, 0x1302, 0x1303,                    # TLS 1.3
                 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,  # ECDHE, TLS 1.2
                 0x009C, 0x002F,                            # RSA key exchange
                 0x00FF)                                    # renegotiation SCSV


def client_hello(seed: str, sni=DEFAULT_SNI, alpn=("h2", "http/1.1"), sni_position="middle",
                 unknown_exts=0, padding=None, pad_to=None, padding_last=False,
                 lengths: Lengths = PLAIN) -> bytes:
    """The ClientHello handshake message (header included).

    unknown_exts  that many empty extensions of unknown types, first
    padding       a padding extension (21) with this many zero bytes, after
                  the unknown ones and before the base extensions (after
                  them: padding_last)
    pad_to        padding sized so that the message is exactly this long
    sni_position  middle (as built), first or last among the extensions
    """
    digest = hashlib.sha256(seed.encode()).digest()
    random, session_id = digest, hashlib.sha256(digest).digest()
    exts = base_extensions(sni, alpn, lengths)
    if sni is not None and sni_position != "middle":
        sni_ext = next(e for e in exts if e[0] == EXT_SERVER_NAME)
        exts.remove(sni_ext)
        exts = [sni_ext] + exts if sni_position == "first" else exts + [sni_ext]
    head = b"".join(ext(EXT_UNKNOWN_BASE + i, b"") for i in range(unknown_exts))
    suites = b"".join(u16(c) for c in CIPHER_SUITES)

    def message(pad_body) -> bytes:
        pad = ext(EXT_PADDING, b"\0" * pad_body) if pad_body is not None else b""
        base = b"".join(e[1] for e in exts)
        block = head + (base + pad if padding_last else pad + base)
        body = (u16(0x0303) + random + lengths.vec8("session_id", session_id)
                + lengths.vec16("cipher_suites", suites)
                + lengths.vec8("compression", b"\0")
                + lengths.vec16("extensions", block))
        return u8(1) + u24(lengths.of("handshake", len(body))) + body

    if pad_to is not None:
        bare = len(message(None))
        padding = pad_to - bare - 4
        if padding < 0:
            raise ValueError(f"pad_to {pad_to} is below the unpadded {bare} bytes")
    return message(padding)


def records(hs: bytes, size: int, lengths: Lengths = PLAIN) -> bytes:
    """hs in handshake records (type 22, version 3.1) of at most size bytes;
    a record skew applies to the first record's length."""
    out = b""
    for i in range(0, len(hs), size):
        frag = hs[i:i + size]
        n = lengths.of("record", len(frag)) if i == 0 else len(frag)
        out += u8(22) + u16(0x0301) + u16(n) + frag
    return out


def sslv2_client_hello(seed: str) -> bytes:
    """An SSL 2.0-format CLIENT-HELLO (2-byte header, high bit set) that
    offers TLS 1.2 inside, as clients compatible with SSL 2.0 servers sent
    (RFC 5246 E.2): 3-byte cipher specs, no session id, a 32-byte
    challenge; no extensions, so no SNI, no supported groups and no
    signature algorithms: it offers RSA key exchange only (AES128-GCM-SHA256,
    AES128-SHA, AES256-SHA), which needs no signature (OpenSSL 3.0 refuses
    the SHA-1 signatures an ECDHE suite would default to)."""
    challenge = hashlib.sha256(seed.encode()).digest()
    specs = b"".join(u8(0) + u16(c) for c in (0x009C, 0x002F, 0x0035, 0x00FF))
    body = (u8(1) + u16(0x0303) + u16(len(specs)) + u16(0) + u16(len(challenge))
            + specs + challenge)
    return u16(0x8000 | len(body)) + body


def change_cipher_spec() -> bytes:
    return u8(20) + u16(0x0303) + u16(1) + u8(1)


# ---- shapes --------------------------------------------------------------
# Each shape: (name, class, build(sni) -> (wire bytes, handshake bytes),
# OpenSSL 3.0 s_server's answer when sent directly). The comment above each
# says what it exercises.

def plain(seed, size=RECORD_MAX, **kw):
    def build(sni):
        hs = client_hello(seed, sni=sni, **kw)
        return records(hs, size), len(hs)
    return build


def malformed(seed, field, delta):
    def build(sni):
        lengths = Lengths({field: delta})
        hs = client_hello(seed, sni=sni, lengths=lengths)
        return records(hs, RECORD_MAX, lengths), len(hs)
    return build


def sslv2(seed):
    def build(sni):
        wire = sslv2_client_hello(seed)
        return wire, len(wire) - 2
    return build


def ccs_between(seed):
    def build(sni):
        hs = client_hello(seed, sni=sni)
        half = len(hs) // 2
        return records(hs[:half], RECORD_MAX) + change_cipher_spec() + \
            records(hs[half:], RECORD_MAX), len(hs)
    return build


SHAPES = []


def shape(name, cls, build, direct):
    SHAPES.append((name, cls, build, direct))


# The reference: one record, about 400 bytes, the SNI among the extensions.
shape("baseline", "wellformed", plain("baseline"), "handshake")
# The handshake bytes split into records of N bytes: the parser must join
# fragments of consecutive records (1 byte: the 4-byte handshake header
# alone spans four records; 16384: TLS's largest record, here one).
for n in (1, 2, 5, 127, 256, 16384):
    shape(f"records_{n}", "wellformed", plain(f"records_{n}", size=n), "handshake")
# 1-byte records around a padding extension: 6 wire bytes per byte, so the
# 1024-byte one is ~7.7 KB of records for a ~1.3 KB ClientHello, and the
# 6000-byte one ~37 KB of records (past what one rewritten segment carries) for
# a ~6.3 KB one (within its 16 KB).
for pad in (20, 1024, 6000):
    shape(f"records_1_padding_{pad}", "wellformed",
          plain(f"records_1_padding_{pad}", size=1, padding=pad), "handshake")
# The same ~37 KB of 1-byte records with the SNI early (after 50 empty
# unknown extensions, ~2 KB of wire in: past a first segment of 1448 B),
# the padding last: the kernel places it once the held bytes name it.
shape("records_1_sni_early_padding_6000", "wellformed",
      plain("records_1_sni_early_padding_6000", size=1, unknown_exts=50, padding=6000,
            padding_last=True), "handshake")
# A ClientHello of N KB (header included) in records of 1 or 2 bytes, the
# SNI last, so its route is known only once all of it is in: the 16 KB one
# (the largest the kernel keeps) in 1-byte records is 98 KB of records, ~68
# segments, routed by the kernel (which advertises a window that lets the
# client send all of it); one byte more is past the kernel's 16 KB.
for n, kb, extra in ((1, 16, 0), (2, 16, 0), (1, 10, 0), (1, 16, 1)):
    plus = "_plus_1" if extra else ""
    shape(f"records_{n}_sni_last_{kb}k{plus}", "wellformed",
          plain(f"records_{n}_sni_last_{kb}k{plus}", size=n, sni_position="last",
                pad_to=kb * 1024 + 4 + extra), "handshake")
# N empty extensions of unknown types before the real ones: the walk to the
# SNI crosses all of them (8192 of them: 32 KB, past the kernel's 16 KB).
for n in (128, 1024, 4096, 8192):
    shape(f"extensions_{n}", "wellformed", plain(f"extensions_{n}", unknown_exts=n), "handshake")
# Padding (extension 21, first) to a ClientHello of exactly N KB, header
# included, in records of 16384: 8 KB one record; 16 KB one full record;
# 32 KB two; 64 KB four (the SNI after all of it).
for kb in (8, 16, 32, 64):
    shape(f"padding_{kb}k", "wellformed", plain(f"padding_{kb}k", pad_to=kb * 1024), "handshake")
# One byte over 64 KB (a body of 65537 bytes): past ksteerd's stated limit.
shape("padding_64k_plus_1", "wellformed", plain("padding_64k_plus_1", pad_to=65536 + 5),
      "handshake")
# The SNI as the first and as the last extension.
shape("sni_first", "wellformed", plain("sni_first", sni_position="first"), "handshake")
shape("sni_last", "wellformed", plain("sni_last", sni_position="last"), "handshake")
# The SSL 2.0-format ClientHello with TLS 1.2 inside (not a TLS record).
# s_server reads all of it and refuses it in tls_choose_sigalg: without
# signature_algorithms only SHA-1 is possible, below OpenSSL 3.0's default
# security level. (With an RSA certificate and -cipher DEFAULT:@SECLEVEL=0
# the same bytes get a ServerHello, Certificate, ServerHelloDone.)
shape("sslv2_compat", "nosni", sslv2("sslv2_compat"), "alert:handshake_failure")
# A ChangeCipherSpec record between the two records of a ClientHello split
# in half: TLS 1.3 lets a CCS come only after the first ClientHello.
shape("ccs_between_records", "unusual", ccs_between("ccs_between_records"),
      "alert:unexpected_message")
# Every length field off by one, each on its own, on the baseline. Where a
# length claims more than is sent, the server waits for it: timeout.
MALFORMED_DIRECT = {
    ("record", 1): "timeout", ("record", -1): "timeout",
    ("handshake", 1): "timeout", ("handshake", -1): "alert:decode_error",
}
for field in Lengths.FIELDS:
    for delta in (1, -1):
        sign = "plus" if delta > 0 else "minus"
        shape(f"len_{field}_{sign}1", "malformed", malformed(f"len_{field}_{sign}1", field, delta),
              MALFORMED_DIRECT.get((field, delta), "alert:decode_error"))


def find(name):
    for s in SHAPES:
        if s[0] == name:
            return s
    raise SystemExit(f"hello_shapes.py: no shape {name!r} (see list)")


# ---- the wire ------------------------------------------------------------

def classify(got: bytes):
    """The outcome the bytes received so far decide, or None."""
    if not got:
        return None
    if got[0] == 22:
        if len(got) < 6:
            return None
        return "handshake" if got[5] == 2 else f"other:{got[:8].hex()}"
    if got[0] == 21:
        if len(got) < 7:
            return None
        return "alert:" + ALERTS.get(got[6], str(got[6]))
    return f"other:{got[:8].hex()}"


def send(ip: str, port: int, wire: bytes, mode: str, timeout: float) -> str:
    s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET)
    s.settimeout(timeout)
    # Close with a RST: no TIME_WAIT on either side, and a single-connection
    # server (s_server) is freed at once for the next shape.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        s.connect((ip, port))
    except ConnectionRefusedError:
        s.close()
        return "reset"
    except socket.timeout:
        s.close()
        return "timeout"
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    step = len(wire) if mode == "one" else SEGMENT_WRITE
    got, outcome = b"", None
    try:
        for i in range(0, len(wire), step):
            s.sendall(wire[i:i + step])
            if mode == "segments":
                time.sleep(0.001)
            # An answer before the last byte (an alert, a RST): stop
            # sending, so that no byte of ours makes the server reset it.
            if select.select([s], [], [], 0)[0]:
                break
    except (ConnectionResetError, BrokenPipeError):
        pass            # whatever came before the RST is still readable
    except socket.timeout:
        pass            # the server stopped reading: wait for its answer
    deadline = time.monotonic() + timeout
    while outcome is None:
        left = deadline - time.monotonic()
        if left <= 0:
            outcome = "timeout"
            break
        s.settimeout(left)
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            outcome = (classify(got) or f"other:{got[:8].hex()}") if got else "reset"
            break
        except socket.timeout:
            outcome = "timeout"
            break
        if not data:
            outcome = "closed" if not got else f"other:{got[:8].hex()}"
            break
        got += data
        outcome = classify(got)
    s.close()
    return outcome


# ---- which part of ksteer served it --------------------------------------

def counters_diff(before: dict, after: dict) -> str:
    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            elif isinstance(v, int):
                out[prefix + k] = v
        return out
    b, a = flat(before), flat(after)
    moved = {k: a[k] - b.get(k, 0) for k in a if a[k] != b.get(k, 0)}
    # Every connection moves these; they say nothing about the path. The
    # register_* ones count listen() calls anywhere on the host (sock_ops
    # sees every namespace): other work's, not this connection's.
    for k in list(moved):
        if k in ("syn", "cookie_ok", "bare_ack_dropped") or k.startswith("register_"):
            del moved[k]
    d = lambda k: moved.get(k, 0)
    fb = d("fallback.accepted") > 0
    if d("fallback.handback_failed") and d("handback_assigned"):
        served = "ksteerd (handed back, then counted failed)"
    elif d("fallback.handback") and d("handback_assigned"):
        served = "ksteerd (handed back into the backend's listener)"
    elif fb and (d("fallback.refused_no_client_address") or d("fallback.hello_too_big")
                 or d("fallback.hello_malformed") or d("fallback.no_route")):
        served = "ksteerd (refused)"
    elif fb:
        served = "ksteerd (not delivered)"
    elif d("hello_unreadable_to_default") and d("assigned"):
        served = "kernel (unreadable: to the default route)"
    elif d("reasm_completed") and d("assigned"):
        served = "kernel (reassembled)"
    elif d("assigned"):
        served = "kernel (one segment)"
    elif d("rst_sent"):
        served = "kernel (refused)"
    elif d("reasm_started") or d("hello_incomplete"):
        served = "kernel (held, incomplete)"
    else:
        served = "nothing seen"
    detail = " ".join(f"{k}{v:+d}" for k, v in sorted(moved.items()))
    return f"{served}; {detail or 'no counter moved'}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pl = sub.add_parser("list")
    pl.add_argument("--sni", default=DEFAULT_SNI)
    pb = sub.add_parser("bytes")
    pb.add_argument("name")
    pb.add_argument("--sni", default=DEFAULT_SNI)
    ps = sub.add_parser("send")
    ps.add_argument("ip")
    ps.add_argument("port", type=int)
    ps.add_argument("name")
    ps.add_argument("--sni", default=DEFAULT_SNI)
    ps.add_argument("--mode", choices=("one", "segments"), default="one")
    ps.add_argument("--timeout", type=float, default=2.0)
    pd = sub.add_parser("counters-diff")
    pd.add_argument("before")
    pd.add_argument("after")
    a = p.parse_args()
    if a.cmd == "list":
        for name, cls, build, direct in SHAPES:
            wire, hs = build(a.sni)
            print(name, cls, hs, len(wire), direct)
    elif a.cmd == "bytes":
        sys.stdout.buffer.write(find(a.name)[2](a.sni)[0])
    elif a.cmd == "send":
        wire = find(a.name)[2](a.sni)[0]
        t0 = time.monotonic()
        outcome = send(a.ip, a.port, wire, a.mode, a.timeout)
        print(outcome, f"{(time.monotonic() - t0) * 1000:.0f}ms", f"{len(wire)}B", flush=True)
    elif a.cmd == "counters-diff":
        with open(a.before) as f1, open(a.after) as f2:
            print(counters_diff(json.load(f1), json.load(f2)))


if __name__ == "__main__":
    main()
