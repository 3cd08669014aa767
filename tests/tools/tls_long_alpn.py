#!/usr/bin/env python3
"""A real TLS client whose ClientHello spans three segments, the SNI first.

  tls_long_alpn.py IP SNI CAFILE

Python's ssl (OpenSSL: server_name among the first extensions) offering a
~2.8 KB ALPN list, so the SNI is in the first segment and the ALPN list
over the later ones. Sends GET / for SNI and prints "handshake ok VERSION
BYTES", then the response body.
"""
import socket
import ssl
import sys


def main() -> None:
    ip, sni, cafile = sys.argv[1:4]
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["x-%03d-" % i + "y" * 150 for i in range(18)] + ["http/1.1"])
    t = ctx.wrap_socket(socket.create_connection((ip, 443), timeout=5), server_hostname=sni)
    t.sendall(b"GET / HTTP/1.0\r\nHost: " + sni.encode() + b"\r\n\r\n")
    data = b""
    while True:
        d = t.recv(4096)
        if not d:
            break
        data += d
    print("handshake ok", t.version(), len(data))
    print(data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip())


if __name__ == "__main__":
    main()
