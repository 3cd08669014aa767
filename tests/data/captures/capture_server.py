#!/usr/bin/env python3
"""Accept one TCP connection on 127.0.0.1:PORT, read the client's TLS records
until the ClientHello they carry is complete, write exactly those record
bytes to OUTFILE, close. Used by capture.sh; prints nothing on success."""
import socket, struct, sys


def main(port: int, out: str) -> int:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    conn.settimeout(10)
    data, hs, pos = b"", b"", 0
    while True:
        while len(data) < pos + 5 or len(data) < pos + 5 + struct.unpack("!H", data[pos + 3:pos + 5])[0]:
            chunk = conn.recv(65536)
            if not chunk:
                print("client closed before the ClientHello was complete", file=sys.stderr)
                return 1
            data += chunk
        rlen = struct.unpack("!H", data[pos + 3:pos + 5])[0]
        if data[pos] != 22:
            print(f"record type {data[pos]} is not a handshake", file=sys.stderr)
            return 1
        hs += data[pos + 5:pos + 5 + rlen]
        pos += 5 + rlen
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            break
    with open(out, "wb") as f:
        f.write(data[:pos])
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2]))
