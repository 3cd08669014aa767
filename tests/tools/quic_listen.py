#!/usr/bin/env python3
"""UDP listener for QUIC captures: saves the payload of each datagram it
receives as DIR/PREFIX-N.bin (N from 1, in arrival order) and never answers,
so a client keeps sending Initials. Used to make tests/data/captures/quic/.

usage: quic_listen.py PORT DIR PREFIX SECONDS
"""
import socket
import sys
import time


def main():
    port, outdir, prefix, secs = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.2)
    n, end = 0, time.time() + secs
    while time.time() < end:
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        n += 1
        with open("%s/%s-%d.bin" % (outdir, prefix, n), "wb") as f:
            f.write(data)
        print(n, peer, len(data), flush=True)


if __name__ == "__main__":
    main()
