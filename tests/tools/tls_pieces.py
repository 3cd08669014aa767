#!/usr/bin/env python3
"""A real TLS client (Python's ssl, OpenSSL) whose ClientHello leaves in
pieces or oversized, then an HTTP/1.1 request; prints the response body.

  tls_pieces.py IP PORT SNI CAFILE [--chunk N] [--alpn-pad BYTES] [--count K]

  --chunk N       write the ClientHello in N-byte writes 1 ms apart with
                  TCP_NODELAY, so each leaves as its own segment (TCP would
                  otherwise send it in one)
  --alpn-pad B    offer about B bytes of extra ALPN names before http/1.1:
                  a ClientHello that big, from a real TLS stack
  --count K       K connections in turn (default 1)
  KS_LOCAL_PORT=P binds every connection to port P (SO_REUSEADDR): with a
                  server that closes first, each SYN meets its TIME_WAIT

Each connection prints one line: "ok BODY" or "FAIL why". The request asks
for Connection: close, so the server closes first.
"""
import argparse, os, socket, ssl, sys, time


def handshake(sock, tls, inc, out, chunk):
    first = True
    while True:
        try:
            tls.do_handshake()
            pending = out.read()
            if pending:
                sock.sendall(pending)
            return
        except ssl.SSLWantReadError:
            pending = out.read()
            if first and chunk:
                for i in range(0, len(pending), chunk):
                    sock.sendall(pending[i:i + chunk])
                    time.sleep(0.001)
            elif pending:
                sock.sendall(pending)
            first = False
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("closed during the handshake")
            inc.write(data)


def fetch(args, local_port):
    ctx = ssl.create_default_context(cafile=args.cafile)
    if args.alpn_pad:
        names = ["x%03d" % i + "p" * 246 for i in range(args.alpn_pad // 251 + 1)]
        ctx.set_alpn_protocols(names + ["http/1.1"])
    sock = socket.socket(socket.AF_INET6 if ":" in args.ip else socket.AF_INET)
    sock.settimeout(5)
    if local_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("", local_port))
    sock.connect((args.ip, args.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname=args.sni)
    handshake(sock, tls, inc, out, args.chunk)
    tls.write(f"GET / HTTP/1.1\r\nHost: {args.sni}\r\nConnection: close\r\n\r\n".encode())
    sock.sendall(out.read())
    resp = b""
    while True:
        try:
            got = tls.read(65536)
            if not got:
                break                 # close_notify
            resp += got
        except ssl.SSLWantReadError:
            data = sock.recv(65536)
            if not data:
                break
            inc.write(data)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
    # Wait for the server's FIN (its close_notify can come first): the
    # server closes first, and closing after it leaves the client no
    # TIME_WAIT, so the next connection may reuse the port at once.
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    sock.close()
    head, _, body = resp.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError("answer: %r" % head[:40])
    return body.decode(errors="replace").strip()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ip")
    p.add_argument("port", type=int)
    p.add_argument("sni")
    p.add_argument("cafile")
    p.add_argument("--chunk", type=int, default=0)
    p.add_argument("--alpn-pad", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    args = p.parse_args()
    local_port = int(os.environ.get("KS_LOCAL_PORT", "0"))
    fails = 0
    for _ in range(args.count):
        try:
            print("ok", fetch(args, local_port), flush=True)
        except (OSError, ssl.SSLError, ConnectionError) as e:
            fails += 1
            print("FAIL", repr(e), flush=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
