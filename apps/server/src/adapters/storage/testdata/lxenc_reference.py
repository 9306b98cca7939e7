#!/usr/bin/env python3
"""Independent reference implementation of the LXENC01 format, used by the compatibility tests.

Usage:
  lxenc_reference.py encrypt --key B64 --chunk-size N INPUT OUTPUT
  lxenc_reference.py decrypt --key B64 INPUT OUTPUT
  lxenc_reference.py canonical-header INPUT     # prints json.dumps(json.loads(raw header)) to stdout
  lxenc_reference.py chunk-lengths INPUT        # prints the stored ciphertext lengths, one a line
"""
import argparse
import base64
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"LXENC01\n"
ALGORITHM = "AESGCM-chunked-v1"
WRAP_AAD = b"lx-annotate:dek-wrap:v1"
TAG = 16


def load_key(text):
    text = text.strip()
    key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(key) not in (16, 24, 32):
        raise SystemExit("key must decode to 16, 24 or 32 bytes")
    return key


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("utf-8")


def read_exact(f, n):
    data = f.read(n)
    if len(data) != n:
        raise ValueError("truncated")
    return data


def read_header(f):
    if f.read(8) != MAGIC:
        raise ValueError("bad magic")
    (hlen,) = struct.unpack(">I", read_exact(f, 4))
    if not 1 <= hlen <= 65536:
        raise ValueError("bad header length")
    raw = read_exact(f, hlen)
    return raw, json.loads(raw.decode("utf-8"))


def encrypt(key, chunk_size, src, dst):
    dek = AESGCM.generate_key(bit_length=256)
    wrap_nonce = os.urandom(12)
    nonce_prefix = os.urandom(8)
    wrapped = AESGCM(key).encrypt(wrap_nonce, dek, WRAP_AAD)
    header = dumps({
        "algorithm": ALGORITHM,
        "chunk_size": chunk_size,
        "nonce_prefix": base64.urlsafe_b64encode(nonce_prefix).decode("ascii"),
        "version": 1,
        "wrap_nonce": base64.urlsafe_b64encode(wrap_nonce).decode("ascii"),
        "wrapped_dek": base64.urlsafe_b64encode(wrapped).decode("ascii"),
    })
    aead = AESGCM(dek)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fout.write(MAGIC + struct.pack(">I", len(header)) + header)
        counter = 0
        while True:
            block = b""
            while len(block) < chunk_size:
                piece = fin.read(chunk_size - len(block))
                if not piece:
                    break
                block += piece
            if not block:
                break
            sealed = aead.encrypt(nonce_prefix + struct.pack(">I", counter), block, header)
            fout.write(struct.pack(">I", len(sealed)) + sealed)
            counter += 1
            if len(block) < chunk_size:
                break


def decrypt(key, src, dst):
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        raw, header = read_header(fin)
        if header.get("version") != 1 or header.get("algorithm") != ALGORITHM:
            raise ValueError("unsupported header")
        chunk_size = header["chunk_size"]
        nonce_prefix = base64.urlsafe_b64decode(header["nonce_prefix"])
        wrap_nonce = base64.urlsafe_b64decode(header["wrap_nonce"])
        wrapped = base64.urlsafe_b64decode(header["wrapped_dek"])
        if len(nonce_prefix) != 8 or len(wrap_nonce) != 12 or len(wrapped) != 48:
            raise ValueError("bad header field length")
        aead = AESGCM(AESGCM(key).decrypt(wrap_nonce, wrapped, WRAP_AAD))
        counter = 0
        short_seen = False
        while True:
            prefix = fin.read(4)
            if not prefix:
                break
            if len(prefix) != 4:
                raise ValueError("truncated length prefix")
            (clen,) = struct.unpack(">I", prefix)
            if not TAG < clen <= chunk_size + TAG or short_seen:
                raise ValueError("bad chunk length")
            plain = aead.decrypt(nonce_prefix + struct.pack(">I", counter), read_exact(fin, clen), raw)
            short_seen = len(plain) < chunk_size
            fout.write(plain)
            counter += 1


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    enc = sub.add_parser("encrypt")
    enc.add_argument("--key", required=True)
    enc.add_argument("--chunk-size", type=int, default=1048576)
    enc.add_argument("input")
    enc.add_argument("output")
    dec = sub.add_parser("decrypt")
    dec.add_argument("--key", required=True)
    dec.add_argument("input")
    dec.add_argument("output")
    canon = sub.add_parser("canonical-header")
    canon.add_argument("input")
    lengths = sub.add_parser("chunk-lengths")
    lengths.add_argument("input")
    args = parser.parse_args()

    if args.command == "encrypt":
        encrypt(load_key(args.key), args.chunk_size, args.input, args.output)
    elif args.command == "decrypt":
        decrypt(load_key(args.key), args.input, args.output)
    elif args.command == "canonical-header":
        with open(args.input, "rb") as f:
            _, header = read_header(f)
        sys.stdout.buffer.write(dumps(header))
    else:
        with open(args.input, "rb") as f:
            read_header(f)
            while True:
                prefix = f.read(4)
                if not prefix:
                    break
                if len(prefix) != 4:
                    raise ValueError("truncated length prefix")
                (clen,) = struct.unpack(">I", prefix)
                read_exact(f, clen)
                print(clen)


if __name__ == "__main__":
    main()
