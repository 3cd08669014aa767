#!/usr/bin/env python3
"""QUIC datagrams for ksteerd's end-to-end tests, none of them a connection.

  quic_craft.py send DST [--wait SECS] [--mark N] FILE|FILE+bad|0rtt:FILE ...
      from one UDP socket, each datagram in order: a capture file as it is;
      followed, coalesced, by a forged Initial of its connection (its CIDs,
      random ciphertext: it fails authentication); or a 0-RTT packet of the
      connection FILE's Initial opens (its CIDs, a valid Length, random
      ciphertext: only the server could read it). --mark: SO_MARK on the
      socket. --wait: then read replies for SECS and print "replies N
      handshake H" (H: datagrams with a Handshake packet in them)
  quic_craft.py vn DST COUNT SIZE
      COUNT datagrams of SIZE bytes with a version nobody speaks, over
      half a second, then
      prints "sent N received R seconds S": the Version Negotiation
      packets that came back (each checked: version 0, CIDs swapped)
  quic_craft.py flood DST SRC LARGE_FILE N_LARGE N_SMALL N_SHORT SECS
      spoofed from SRC (an address, or 3 octets: SRC.X, X random in
      10..250), from random ports, over
      SECS seconds: N_LARGE copies of LARGE_FILE (an Initial whose
      ClientHello never completes), N_SMALL 300-byte Initials, N_SHORT
      1200-byte Initials with 4-byte DCIDs; raw socket, IPv4
"""
import os
import random
import socket
import struct
import sys
import time


def cids(dgram):
    """(dcid, scid) of the long header at the start of dgram."""
    dl = dgram[5]
    sl = dgram[6 + dl]
    return dgram[6:6 + dl], dgram[7 + dl:7 + dl + sl]


def zero_rtt(initial):
    """A v1 0-RTT packet (type bits 01) for the connection of initial."""
    dcid, scid = cids(initial)
    body = os.urandom(300)
    length = struct.pack("!H", 0x4000 | len(body))      # 2-byte varint
    return bytes([0xd1, 0, 0, 0, 1, len(dcid)]) + dcid + bytes([len(scid)]) + scid + length + body


def forged_initial(initial):
    """An Initial packet of initial's connection that cannot authenticate."""
    dcid, scid = cids(initial)
    body = os.urandom(100)
    return bytes([0xc3, 0, 0, 0, 1, len(dcid)]) + dcid + bytes([len(scid)]) + scid + b"\x00" + \
        struct.pack("!H", 0x4000 | len(body)) + body


def varint(d, off):
    n = 1 << (d[off] >> 6)
    v = d[off] & 0x3f
    for i in range(1, n):
        v = v << 8 | d[off + i]
    return v, off + n


def has_handshake(d):
    """Whether a server's datagram holds a v1 Handshake packet (type 2)."""
    off = 0
    while off + 7 <= len(d) and d[off] & 0x80:
        kind = (d[off] >> 4) & 3
        if kind == 2:
            return True
        dl = d[off + 5]
        o = off + 7 + dl + d[off + 6 + dl]
        if kind == 0:
            tok, o = varint(d, o)
            o += tok
        length, o = varint(d, o)
        off = o + length
    return False


def long_header(version, dcid, size):
    """An Initial-shaped datagram of size bytes (Length to its end)."""
    head = bytes([0xc3]) + struct.pack("!I", version) + bytes([len(dcid)]) + dcid + bytes([8]) + \
        os.urandom(8) + b"\x00"
    rest = size - len(head) - 2
    return head + struct.pack("!H", 0x4000 | rest) + os.urandom(rest)


def dst_of(arg):
    host, _, port = arg.rpartition(":")
    return host.strip("[]"), int(port)


def cmd_send(dst, items, wait, mark):
    fam = socket.AF_INET6 if ":" in dst[0] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if mark:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
    for item in items:
        if item.startswith("0rtt:"):
            s.sendto(zero_rtt(open(item[5:], "rb").read()), dst)
        elif item.endswith("+bad"):
            d = open(item[:-4], "rb").read()
            s.sendto(d + forged_initial(d), dst)
        else:
            s.sendto(open(item, "rb").read(), dst)
    if wait is None:
        return
    replies = hs = 0
    end = time.monotonic() + wait
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        replies += 1
        hs += has_handshake(d)
    print("replies %d handshake %d" % (replies, hs))


def cmd_vn(dst, count, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    sent = []
    t0 = time.monotonic()
    for i in range(count):
        dcid = os.urandom(8)
        d = long_header(0x1a2a3a4a, dcid, size)
        sent.append((dcid, d[15:23]))
        s.sendto(d, dst)
        delay = t0 + (i + 1) * 0.5 / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    secs = time.monotonic() - t0
    got = 0
    try:
        while True:
            vn = s.recv(2048)
            dcid, scid = cids(vn)
            if vn[1:5] == b"\0\0\0\0" and (scid, dcid) in sent:
                got += 1
    except socket.timeout:
        pass
    print("sent %d received %d seconds %.3f" % (count, got, secs))


def ip_udp(src, dst, sport, payload):
    """IPv4 + UDP header (checksum 0: none) in front of payload."""
    ulen = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst[0]))
    return ip + struct.pack("!HHHH", sport, dst[1], ulen, 0) + payload


def cmd_flood(dst, src, large_file, n_large, n_small, n_short, secs):
    large = open(large_file, "rb").read()
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    kinds = ["L"] * n_large + ["S"] * n_small + ["D"] * n_short
    random.shuffle(kinds)
    gap = secs / max(1, len(kinds))
    t0 = time.monotonic()
    for i, k in enumerate(kinds):
        if k == "L":
            p = large
        elif k == "S":
            p = long_header(1, os.urandom(8), 300)
        else:
            p = long_header(1, os.urandom(4), 1200)
        a = src if src.count(".") == 3 else "%s.%d" % (src, random.randint(10, 250))
        s.sendto(ip_udp(a, dst, random.randint(1024, 65535), p), (dst[0], 0))
        delay = t0 + (i + 1) * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("sent %d" % len(kinds))


def main(argv):
    if len(argv) >= 3 and argv[0] == "send":
        rest, wait, mark = argv[2:], None, 0
        while rest and rest[0] in ("--wait", "--mark"):
            if rest[0] == "--wait":
                wait = float(rest[1])
            else:
                mark = int(rest[1], 0)
            rest = rest[2:]
        cmd_send(dst_of(argv[1]), rest, wait, mark)
    elif len(argv) == 4 and argv[0] == "vn":
        cmd_vn(dst_of(argv[1]), int(argv[2]), int(argv[3]))
    elif len(argv) == 8 and argv[0] == "flood":
        cmd_flood(dst_of(argv[1]), argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]),
                  float(argv[7]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
