"""Signature verifications per second, one core: ed25519 (PyNaCl/libsodium) and secp256k1
(coincurve/libsecp256k1), through chain.crypto as the ante checks them (prints figures).

Run: .venv/bin/python bench/signatures.py [--count 20000] [--json]

Each key type verifies `--count` distinct signatures over sign-bytes-sized messages (a bank
send's SIGN_MODE_DIRECT bytes are about 200 bytes), after signing them outside the clock.
Figures are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.load import machine  # noqa: E402
from chain.crypto import ED25519, SECP256K1, PrivateKey  # noqa: E402

MESSAGE_BYTES = 200


def verifications_per_second(algo: str, count: int) -> float:
    keys = [
        PrivateKey(hashlib.sha256(b"bench-signature-key-%d" % index).digest(), algo)
        for index in range(64)
    ]
    signed = []
    for index in range(count):
        key = keys[index % len(keys)]
        message = hashlib.sha256(b"%d" % index).digest() * (MESSAGE_BYTES // 32)
        signed.append((key.public, message, key.sign(message)))
    began = time.perf_counter()
    for public, message, signature in signed:
        if not public.verify(message, signature):
            raise AssertionError(f"a valid {algo} signature did not verify")
    return count / (time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="signatures per key type")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = {
        "machine": machine(),
        "count": args.count,
        "ed25519_verifications_per_s": round(verifications_per_second(ED25519, args.count)),
        "secp256k1_verifications_per_s": round(verifications_per_second(SECP256K1, args.count)),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
