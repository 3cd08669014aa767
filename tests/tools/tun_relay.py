#!/usr/bin/env python3
"""An L3 link between two network namespaces: one TUN device in each
(IFF_TUN | IFF_NO_PI: bare IP packets, no link header, as on wireguard or an
ipip tunnel), and this process copying every packet read from one device's
fd into the other's, unchanged.

  tun_relay.py NETNS_A DEV_A NETNS_B DEV_B

NETNS is a name under /run/netns. A TUN device belongs to the namespace of
the process that creates it, so the relay enters each namespace in turn to
open its device, then relays from wherever it is. The devices are not
persistent: they go away when the relay exits (SIGTERM). "ready" is
printed once both exist; the caller then gives them addresses and brings
them up.
"""
import ctypes, fcntl, os, select, signal, struct, sys

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(name: str) -> None:
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.exit(f"tun_relay: setns {name}: {os.strerror(ctypes.get_errno())}")
    os.close(fd)


def open_tun(ns: str, dev: str) -> int:
    setns(ns)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", dev.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    a = open_tun(sys.argv[1], sys.argv[2])
    b = open_tun(sys.argv[3], sys.argv[4])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    peer = {a: b, b: a}
    print("ready", flush=True)
    while True:
        for fd in select.select([a, b], [], [])[0]:
            try:
                pkt = os.read(fd, 65536)
                os.write(peer[fd], pkt)
            except OSError:
                pass           # device down (EIO) or a full queue: a lost packet, as on a wire


if __name__ == "__main__":
    main()
