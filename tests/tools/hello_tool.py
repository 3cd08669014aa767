#!/usr/bin/env python3
"""Crafted ClientHellos over real TCP, and a backend that records them.

  hello_tool.py record PORT OUTFILE [ADDR]
                                         accept on ADDR:PORT (127.0.0.1); per connection
                                         write "peer local length sha256"
                                         after reading the ClientHello's records
  hello_tool.py record-more PORT OUTFILE [ADDR]
                                         as record, but after the ClientHello
                                         read a 4-byte length L and L bytes
                                         more (what KS_EXTRA=L sends), and
                                         hash all of it
  hello_tool.py worker NAME IP PORT accept|hold
                                         a SO_REUSEPORT listener on IP:PORT
                                         (pid printed first); "accept" reads
                                         each ClientHello and answers NAME,
                                         "hold" never accepts; SIGTERM closes
                                         the listener and exits
  hello_tool.py send IP PORT SNI SIZE SNI_OFFSET [COUNT [CHUNK]]
                                         send a ClientHello of about SIZE bytes
                                         whose SNI starts near SNI_OFFSET (in
                                         writes of CHUNK bytes 1 ms apart, so
                                         each leaves as its own packet; TCP
                                         otherwise hands the stack one GSO
                                         packet); wait for the recorder's
                                         "ok"; print ms per connection and
                                         the sha256 sent; KS_LOCAL_PORT=N
                                         binds every connection to port N,
                                         KS_SRC=ADDR to that source address;
                                         KS_PAUSE_S=S waits S seconds after
                                         the first CHUNK (a slow client);
                                         KS_RECORD=N cuts the hello in
                                         records of N bytes;
                                         KS_EXTRA=L sends, right after the
                                         ClientHello, L as 4 bytes and L bytes
                                         of data (for record-more)
  hello_tool.py partial IP PORT SNI N HOLD
                                         N connections, each sending half a
                                         2000-byte ClientHello and then
                                         nothing for HOLD seconds; prints how
                                         many connected, then how many were
                                         still open
"""
import hashlib, os, signal, socket, struct, sys, threading, time


def client_hello(sni: str, size: int, sni_offset: int) -> bytes:
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    fixed = 9 + 2 + 32 + 1 + 4 + 2 + 2     # headers .. extensions length
    pad_before = max(0, sni_offset - fixed - 4)
    pad_after = max(0, size - fixed - 4 - pad_before - len(sni_ext) - 4)
    exts = b""
    if pad_before:
        exts += struct.pack("!HH", 21, pad_before) + b"\0" * pad_before
    exts += sni_ext
    if pad_after:
        exts += struct.pack("!HH", 0xfe0d, pad_after) + b"\x5a" * pad_after
    body = b"\x03\x03" + b"\x07" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    # Records of at most 2^14 bytes, as TLS allows (a bigger hello spans
    # several), or of KS_RECORD bytes.
    r = int(os.environ.get("KS_RECORD", "16384"))
    return b"".join(b"\x16\x03\x01" + struct.pack("!H", len(hs[i:i + r])) + hs[i:i + r]
                    for i in range(0, len(hs), r))


def read_exactly(conn, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def read_hello(conn) -> bytes:
    """The records that hold the ClientHello, and not a byte more
    (record-more reads on)."""
    data, frags, need = b"", b"", None
    while need is None or len(frags) < need:
        head = read_exactly(conn, 5)
        data += head
        if len(head) < 5:
            return data
        frag = read_exactly(conn, struct.unpack("!H", head[3:5])[0])
        data += frag
        frags += frag
        if need is None and len(frags) >= 4:
            need = 4 + int.from_bytes(frags[1:4], "big")
        if not frag:
            return data
    return data


def read_more(conn) -> bytes:
    head = read_exactly(conn, 4)
    return head + read_exactly(conn, struct.unpack("!I", head)[0]) if len(head) == 4 else head


def extra_bytes(n: int) -> bytes:
    return struct.pack("!I", n) + bytes(i * 7 % 251 for i in range(n))


def record(port: int, out: str, addr: str = "127.0.0.1", more: bool = False) -> None:
    srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(128)
    lock = threading.Lock()

    def serve(conn, peer):
        conn.settimeout(5)
        try:
            data = read_hello(conn)
            if more:
                data += read_more(conn)
            local = conn.getsockname()
            with lock, open(out, "a") as f:
                f.write(f"{peer[0]}:{peer[1]} {local[0]}:{local[1]} {len(data)} "
                        f"{hashlib.sha256(data).hexdigest()}\n")
            conn.sendall(b"ok")
        except OSError:
            pass
        conn.close()

    # A thread per connection: one client waiting for a retransmission
    # must not hold up the others.
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()


def worker(name: str, ip: str, port: int, mode: str) -> None:
    srv = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    srv.bind((ip, port))
    srv.listen(128)
    signal.signal(signal.SIGTERM, lambda *_: (srv.close(), os._exit(0)))
    print(os.getpid(), flush=True)
    while True:
        if mode == "hold":
            time.sleep(1)
            continue
        conn, _ = srv.accept()
        conn.settimeout(5)
        try:
            read_hello(conn)
            conn.sendall(name.encode())
        except OSError:
            pass
        conn.close()


def send(ip: str, port: int, sni: str, size: int, off: int, count: int, chunk: int,
         expect=None) -> int:
    local_port = int(os.environ.get("KS_LOCAL_PORT", "0"))
    src = os.environ.get("KS_SRC", "")
    pause = float(os.environ.get("KS_PAUSE_S", "0"))
    hello = client_hello(sni, size, off)
    extra = int(os.environ.get("KS_EXTRA", "0"))
    sent = hello + (extra_bytes(extra) if extra else b"")
    fails = 0
    for _ in range(count):
        t0 = time.monotonic()
        try:
            s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET)
            s.settimeout(5 + pause)
            if local_port or src:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((src, local_port))
            s.connect((ip, port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if chunk:
                for i in range(0, len(hello), chunk):
                    s.sendall(hello[i:i + chunk])
                    time.sleep(pause if i == 0 and pause else 0.001)
            else:
                s.sendall(hello)
            if extra:
                s.sendall(sent[len(hello):])
            reply = s.recv(16)
            # Close after the server (it closes first): the client keeps
            # no TIME_WAIT and can reuse its port at once.
            while s.recv(16):
                pass
            s.close()
        except OSError as e:
            reply = repr(e).encode()
        ms = (time.monotonic() - t0) * 1000
        ok = reply == (expect.encode() if expect else b"ok")
        fails += not ok
        print(f"{'ok' if ok else 'FAIL'} {ms:.2f} {len(sent)} {hashlib.sha256(sent).hexdigest()} "
              f"{reply.decode(errors='replace')}", flush=True)
    return 1 if fails else 0


def partial(ip: str, port: int, sni: str, n: int, hold: float) -> None:
    """n connections, each sending the first half of a 2000-byte hello and
    then nothing for hold seconds; print how many were open at the end."""
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
    half = client_hello(sni, 2000, 1900)[:1000]
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET)
        s.settimeout(5)
        try:
            s.connect((ip, port))
            s.sendall(half)
            socks.append(s)
        except OSError:
            s.close()
    print(len(socks), flush=True)
    time.sleep(hold)
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
        s.close()
    print(alive, flush=True)


if __name__ == "__main__":
    if sys.argv[1] in ("record", "record-more"):
        record(int(sys.argv[2]), sys.argv[3], *sys.argv[4:5], more=sys.argv[1] == "record-more")
    elif sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] in ("send", "expect"):
        # "expect NAME IP PORT ...": as send, but the answer must be NAME.
        a = sys.argv[2:]
        expect = a.pop(0) if sys.argv[1] == "expect" else None
        sys.exit(send(a[0], int(a[1]), a[2], int(a[3]), int(a[4]),
                      int(a[5]) if len(a) > 5 else 1, int(a[6]) if len(a) > 6 else 0, expect))
    elif sys.argv[1] == "partial":
        partial(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
    else:
        sys.exit(__doc__)
