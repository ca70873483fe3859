#!/usr/bin/env python3
"""A GraphQL subscriber for bench/soak.sh: opens /graphql/ws (graphql-transport-ws), subscribes
to `subscription { areaCreated { id } }` with a bearer token, and counts what arrives until it is
stopped (SIGTERM or SIGINT), printing every 2 seconds and at the end the line

    SUBSCRIBER events=N errors=N closed=0|1

`closed=1` means the server ended the socket or the subscription. Standard library only.

usage: subscribe.py PORT TOKEN
"""
import base64
import json
import os
import signal
import socket
import struct
import sys

port, token = int(sys.argv[1]), sys.argv[2]
events = errors = 0
closed = 0


def finish(*_):
    print(f"SUBSCRIBER events={events} errors={errors} closed={closed}", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, finish)
signal.signal(signal.SIGINT, finish)


def progress(*_):
    print(f"SUBSCRIBER events={events} errors={errors} closed={closed}", flush=True)
    signal.alarm(2)


# A line every 2 seconds too, so that a caller can wait until the subscriber has heard all.
signal.signal(signal.SIGALRM, progress)
signal.alarm(2)

sock = socket.create_connection(("127.0.0.1", port))
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall(
    (
        "GET /graphql/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    ).encode()
)
head = b""
while b"\r\n\r\n" not in head:
    chunk = sock.recv(1)
    if not chunk:
        sys.exit("the server closed the socket during the handshake")
    head += chunk
if b" 101 " not in head.split(b"\r\n")[0]:
    sys.exit(f"no upgrade: {head.decode(errors='replace')}")


def send(opcode, payload):
    mask = os.urandom(4)
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    sock.sendall(header + mask + data)


def exactly(n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def frame():
    first, second = exactly(2)
    n = second & 0x7F
    if n == 126:
        n = struct.unpack("!H", exactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", exactly(8))[0]
    return first & 0x0F, exactly(n)


send(0x1, json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}).encode())
send(0x1, json.dumps({"id": "1", "type": "subscribe",
                      "payload": {"query": "subscription { areaCreated { id } }"}}).encode())
try:
    while True:
        opcode, payload = frame()
        if opcode == 0x9:  # ping
            send(0xA, payload)
        elif opcode == 0x8:  # close
            closed = 1
            break
        elif opcode == 0x1:
            message = json.loads(payload)
            kind = message.get("type")
            if kind == "ping":
                send(0x1, json.dumps({"type": "pong"}).encode())
            elif kind == "next":
                if message["payload"].get("errors"):
                    errors += 1
                else:
                    events += 1
            elif kind in ("error", "complete"):
                errors += kind == "error"
                closed = 1
                break
except (EOFError, ConnectionError):
    closed = 1
finish()
