#!/usr/bin/env python3
# bench/lib/hold_tls.py HOST PORT COUNT ferry|http PATH — opens COUNT TLS 1.3 connections, makes one
# request on each (Ferry: HELLO and STAT PATH; HTTP: a kept-alive GET PATH), reads its answer, then
# holds them all idle. Prints "held N" once they are all open, and closes them when stdin closes.
# bench/compare measures the server's PSS meanwhile: what an idle kept-alive TLS client costs it.
import socket
import ssl
import struct
import sys


def ferry_frame(kind, payload):
    return struct.pack(">BBHI", 0xF7, kind, 0, len(payload)) + payload


def ferry_string(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def request(mode, path):
    if mode == "ferry":
        hello = ferry_frame(0x01, struct.pack(">IH", 0x46455259, 1) + ferry_string("hold_tls"))
        return hello + ferry_frame(0x03, ferry_string(path))
    return f"GET /{path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n".encode()


def main():
    host, port, count, mode, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the identity is not what is measured here
    held = []
    for _ in range(count):
        raw = socket.create_connection((host, port), timeout=10)
        conn = context.wrap_socket(raw, server_hostname="localhost")
        conn.sendall(request(mode, path))
        if not conn.recv(65536):
            sys.exit(f"hold_tls: the server closed a connection after its request ({len(held)} held)")
        held.append(conn)
    print(f"held {len(held)}", flush=True)
    sys.stdin.read()


main()
