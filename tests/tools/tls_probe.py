#!/usr/bin/env python3
"""A TLS client whose TCP socket and segments the test controls.

  tls_probe.py ADDR PORT SNI [options]

Python's ssl runs over memory BIOs, so the ClientHello's bytes go out by
this script's own writes: in one write, or in chunks with TCP_NODELAY and
a pause between them (each its own segment). Then an HTTP/1.1 GET; prints

  ok MS VERSION STATUS BODY-FIRST-LINE      or      FAIL MS ERROR

(MS: milliseconds from connect() to the end of the response).

  --ca FILE        verify the server's certificate against FILE (else none)
  --alpn-big N     also offer N ALPN names of 250 bytes (a ClientHello of
                   about 550 + 251 N bytes); http/1.1 stays in the list
  --chunk N        write the ClientHello N bytes at a time, 5 ms apart
  --local-port P   bind to port P first (SO_REUSEADDR)
  --dstopts        an IPv6 Destination Options header (one PadN option) on
                   every packet of the connection (IPV6_DSTOPTS)
  --hopopts        the same as a Hop-by-Hop Options header (IPV6_HOPOPTS)
  --ipopts         IPv4 options (NOP, NOP, NOP, EOL: a 24-byte IP header) on
                   every packet (IP_OPTIONS)
  --forget         after the response, close with SO_LINGER 0 (an RST) at
                   once: with the RST dropped on the way, the server's
                   socket stays ESTABLISHED and the client has forgotten it
  --raw FILE       no TLS stack: send FILE (a captured ClientHello) as it
                   is and print "ok MS serverhello" if the server's first
                   record is a handshake record holding a ServerHello
  --timeout S      for every step (default 5)
"""
import argparse, socket, ssl, struct, sys, time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("sni")
    p.add_argument("--ca")
    p.add_argument("--alpn-big", type=int, default=0)
    p.add_argument("--chunk", type=int, default=0)
    p.add_argument("--local-port", type=int, default=0)
    p.add_argument("--dstopts", action="store_true")
    p.add_argument("--hopopts", action="store_true")
    p.add_argument("--ipopts", action="store_true")
    p.add_argument("--forget", action="store_true")
    p.add_argument("--raw")
    p.add_argument("--timeout", type=float, default=5)
    return p.parse_args()


def connect(a) -> socket.socket:
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    if a.local_port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.local_port))
    # Next header (the kernel fills it in), length 0 (8 bytes in all), PadN
    # of 4 zero bytes.
    padn = b"\x00\x00\x01\x04\x00\x00\x00\x00"
    if a.dstopts:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, padn)
    if a.hopopts:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, padn)
    if a.ipopts:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x01\x01\x00")
    s.connect((a.addr, a.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send_hello(s, data: bytes, chunk: int) -> None:
    if not chunk:
        s.sendall(data)
        return
    for i in range(0, len(data), chunk):
        s.sendall(data[i:i + chunk])
        time.sleep(0.005)


def raw(a, s) -> str:
    send_hello(s, open(a.raw, "rb").read(), a.chunk)
    got = b""
    while len(got) < 6:
        d = s.recv(4096)
        if not d:
            break
        got += d
    if len(got) >= 6 and got[0] == 0x16 and got[5] == 0x02:
        return "serverhello"
    raise OSError(f"no ServerHello: {got[:16].hex() or 'connection closed'}")


def tls(a, s) -> str:
    ctx = ssl.create_default_context(cafile=a.ca) if a.ca else ssl._create_unverified_context()
    if a.alpn_big:
        ctx.set_alpn_protocols(["x-%03d-" % i + "y" * 244 for i in range(a.alpn_big)] + ["http/1.1"])
    rd, wr = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = ctx.wrap_bio(rd, wr, server_hostname=a.sni)
    first = True
    while True:
        try:
            t.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        out = wr.read()
        if out:
            send_hello(s, out, a.chunk if first else 0)
            first = False
        d = s.recv(65536)
        if not d:
            raise OSError("connection closed during the handshake")
        rd.write(d)
    s.sendall(wr.read())
    t.write(f"GET / HTTP/1.1\r\nHost: {a.sni}\r\n\r\n".encode())
    s.sendall(wr.read())
    resp = b""
    while True:
        try:
            resp += t.read(65536)
        except ssl.SSLWantReadError:
            d = s.recv(65536)
            if not d:
                break
            rd.write(d)
            continue
        except ssl.SSLZeroReturnError:
            break
        head, sep, body = resp.partition(b"\r\n\r\n")
        if sep:
            lines = head.decode(errors="replace").split("\r\n")
            clen = [int(x.split(":", 1)[1]) for x in lines if x.lower().startswith("content-length:")]
            if clen and len(body) >= clen[0]:
                break
    head, _, body = resp.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace").split(" ")
    line = body.split(b"\n", 1)[0].decode(errors="replace")
    return f"{t.version()} {status[1] if len(status) > 1 else '?'} {line}"


def main() -> int:
    a = parse()
    t0 = time.monotonic()
    try:
        s = connect(a)
        res = raw(a, s) if a.raw else tls(a, s)
        if a.forget:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    except (OSError, ssl.SSLError) as e:
        print(f"FAIL {(time.monotonic() - t0) * 1000:.1f} {e!r}", flush=True)
        return 1
    print(f"ok {(time.monotonic() - t0) * 1000:.1f} {res}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
