#!/usr/bin/env bash
# Writes the Python client that tests/e2e/test_backend_e2e.sh drives
# ksteer-backend with (raw requests, pipelining, many connections, faults,
# slowloris) to the path given; run by the e2e test, not a suite itself.
cat >"${1:?usage: $0 OUT.py}" <<'EOF'
import asyncio, select, socket, ssl, struct, sys, time

def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c

def tls(host, port, sni, timeout=10):
    s = socket.create_connection((host, port), timeout=timeout)
    return ctx().wrap_socket(s, server_hostname=sni, suppress_ragged_eofs=False)

def rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()

def read_all(t):
    out, how = b'', '?'
    try:
        while True:
            b = t.recv(65536)
            if not b:
                how = 'close_notify'
                break
            out += b
    except ssl.SSLEOFError:
        how = 'eof'
    except ConnectionResetError:
        how = 'reset'
    except (socket.timeout, TimeoutError):
        how = 'timeout'
    return out, how

def raw(host, port, sni, data):
    """Sends data (\\r\\n escapes allowed), prints all that comes back and how it ended."""
    t = tls(host, port, sni)
    t.sendall(data.encode().decode('unicode_escape').encode('latin1'))
    out, how = read_all(t)
    sys.stdout.buffer.write(out)
    print('\n#close %s' % how)

async def one(host, port, sni, path, n, barrier, results):
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx(), server_hostname=sni), 60)
        got = 0
        for i in range(n):
            w.write(('GET %s HTTP/1.1\r\nHost: %s\r\n\r\n' % (path, sni)).encode())
            head = await asyncio.wait_for(r.readuntil(b'\r\n\r\n'), 60)
            clen = int([l.split(b':')[1] for l in head.split(b'\r\n') if l.lower().startswith(b'content-length')][0])
            body = await asyncio.wait_for(r.readexactly(clen), 60)
            if head.startswith(b'HTTP/1.1 200') and len(body) == clen:
                got += 1
            if i == 0:
                barrier[0] -= 1
                while barrier[0] > 0:		# all open at once
                    await asyncio.sleep(0.05)
        results.append(got == n)
        w.close()
    except Exception as e:
        results.append(False)
        print('error', repr(e), file=sys.stderr)

async def many_main(host, port, sni, n, path, reqs):
    barrier, results = [n], []
    await asyncio.gather(*[one(host, port, sni, path, reqs, barrier, results) for _ in range(n)])
    print('ok %d of %d' % (sum(results), n))

def many(host, port, sni, n, path, reqs):
    """n concurrent keep-alive connections, reqs requests each, all open together."""
    asyncio.run(many_main(host, port, sni, int(n), path, int(reqs)))

def faults(host, port, sni, n, path):
    """n connections cut by a reset: mid-handshake, mid-request, mid-response."""
    socks = []
    for i in range(int(n)):
        try:
            if i % 3 == 0:
                s = socket.create_connection((host, port), timeout=10)
                s.sendall(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')
            elif i % 3 == 1:
                s = tls(host, port, sni)
                s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nX-Half: ')
            else:
                s = tls(host, port, sni)
                s.sendall(('GET %s HTTP/1.1\r\nHost: x\r\n\r\n' % path).encode())
                s.recv(1000)
            socks.append(s)
        except Exception as e:
            print('error', repr(e), file=sys.stderr)
    time.sleep(0.3)
    for s in socks:
        rst(s)
    print('cut %d' % len(socks))

def slowloris(host, port, sni, interval, limit):
    """Trickles a header until the server closes; prints how long that took."""
    t = tls(host, port, sni)
    start = time.time()
    t.sendall(b'GET / HTTP/1.1\r\n')
    while time.time() - start < float(limit):
        r, _, _ = select.select([t], [], [], float(interval))
        if r:
            _, how = read_all(t)
            print('closed %.1f %s' % (time.time() - start, how))
            return
        try:
            t.sendall(b'X: y\r\n')
        except OSError:
            print('closed %.1f send' % (time.time() - start))
            return
    print('open %.1f' % (time.time() - start))

def hold(host, port, sni, n, secs):
    """Opens n TLS connections, holds them secs seconds."""
    socks = [tls(host, port, sni) for _ in range(int(n))]
    print('held %d' % len(socks), flush=True)
    time.sleep(float(secs))
    for s in socks:
        s.close()

def handshake(host, port, sni):
    """Prints ok if a TLS handshake and a request succeed, else the error."""
    try:
        t = tls(host, port, sni, timeout=5)
        t.sendall(('GET / HTTP/1.1\r\nHost: %s\r\n\r\n' % sni).encode())
        print('ok' if t.recv(100).startswith(b'HTTP/1.1') else 'bad')
    except Exception as e:
        print('refused', type(e).__name__)

def reuse(host, port, sni, pause, signal_file):
    """One connection: a request, then wait for signal_file to exist, then another."""
    import os
    t = tls(host, port, sni)
    req = ('GET / HTTP/1.1\r\nHost: %s\r\n\r\n' % sni).encode()
    t.sendall(req)
    a = t.recv(65536)
    print('first', a.split(b'\r\n')[0].decode(), flush=True)
    deadline = time.time() + float(pause)
    while not os.path.exists(signal_file) and time.time() < deadline:
        time.sleep(0.05)
    t.sendall(req)
    b = t.recv(65536)
    print('second', b.split(b'\r\n')[0].decode(), flush=True)

globals()[sys.argv[1]](*sys.argv[2:])
EOF
