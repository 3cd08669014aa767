#!/usr/bin/env python3
"""TLS test backend (Python's ssl, i.e. OpenSSL) that logs, for every
connection it accepts, the TCP options the kernel gave that socket, from
TCP_INFO: "ts=0|1 sack=0|1 wscale=SND,RCV" (SND the client's shift, RCV
ours; "-" without window scaling), then answers one HTTP request with
"ok" and closes. ss cannot be asked instead: iproute2 6.1 prints no ts/sack flags on
this kernel. One connection at a time, which is all the tests need.

usage: tls_tcpinfo.py ADDR PORT CERT KEY LOG
"""
import socket
import ssl
import sys

TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE = 1, 2, 4


def options(sock):
    """tcpi_options and the two 4-bit shifts (byte 6, snd in the low half)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    opts, shifts = info[5], info[6]
    ws = "%d,%d" % (shifts & 15, shifts >> 4) if opts & TCPI_OPT_WSCALE else "-"
    return "ts=%d sack=%d wscale=%s" % (bool(opts & TCPI_OPT_TIMESTAMPS),
                                         bool(opts & TCPI_OPT_SACK), ws)


def main():
    addr, port, cert, key, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    while True:
        s, _ = ls.accept()
        with open(log, "a") as f:
            f.write(options(s) + "\n")
        try:
            t = ctx.wrap_socket(s, server_side=True)
            if t.recv(4096):
                t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            t.close()
        except (ssl.SSLError, OSError):
            s.close()


if __name__ == "__main__":
    main()
