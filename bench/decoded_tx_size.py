"""Memory a decoded tx holds, per byte of the tx (prints figures).

Run: .venv/bin/python bench/decoded_tx_size.py [--txs 2000]

The decoded-tx cache (chain/app.py) charges each entry DECODED_BYTES_PER_TX_BYTE bytes per
tx byte plus DECODED_ENTRY_OVERHEAD_BYTES; this measures what a decoded tx really holds,
for the largest txs (32 messages of many outputs, ~60 KiB) and for small ones (one send),
as the growth of this process's RSS while it keeps `--txs` distinct decoded txs alive
(the raw bytes are alive before and after: add one byte per tx byte for them).
"""

from __future__ import annotations

import argparse
import gc

from chain.app import DECODED_BYTES_PER_TX_BYTE, DECODED_ENTRY_OVERHEAD_BYTES
from chain.coins import Coins
from chain.crypto import PrivateKey
from chain.pb.cosmos.bank.v1beta1 import bank_pb2
from chain.pb.cosmos.bank.v1beta1 import tx_pb2 as bank_tx_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.tx import DecodedTx, build_and_sign, decode_tx
from chain.wiring import build_modules


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _tx(index: int, messages: int, outputs: int) -> bytes:
    signer = PrivateKey(index.to_bytes(4, "big") + bytes(28))
    coin = coin_pb2.Coin(denom="ugpc", amount="1")
    message = bank_tx_pb2.MsgMultiSend(
        inputs=[
            bank_pb2.Input(
                address=signer.bech32_address,
                coins=[coin_pb2.Coin(denom="ugpc", amount=str(outputs))],
            )
        ],
        outputs=[bank_pb2.Output(address=signer.bech32_address, coins=[coin])] * outputs,
    )
    return build_and_sign(
        signer,
        [message] * messages,
        chain_id="bench",
        account_number=0,
        sequence=0,
        fee=Coins.parse("2000ugpc"),
        gas_limit=1_000_000,
    )


def measure(label: str, count: int, messages: int, outputs: int) -> None:
    registry = {r.type_url: r.message_class for m in build_modules() for r in m.msg_routes()}
    raws = [_tx(index, messages, outputs) for index in range(count)]
    gc.collect()
    before = _rss_bytes()
    kept: list[DecodedTx] = [decode_tx(raw, registry, 1 << 20) for raw in raws]
    gc.collect()
    per_tx = (_rss_bytes() - before) / len(kept)
    size = len(raws[0])
    charged = DECODED_ENTRY_OVERHEAD_BYTES + DECODED_BYTES_PER_TX_BYTE * size
    print(
        f"{label}: tx {size} bytes, decoded {per_tx / 1024:.1f} KiB "
        f"({per_tx / size:.1f} bytes per tx byte); the cache charges {charged / 1024:.1f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=2000)
    args = parser.parse_args()
    measure("largest (32 messages x 30 outputs)", args.txs, 32, 30)
    measure("small (1 message, 1 output)", args.txs * 10, 1, 1)


if __name__ == "__main__":
    main()
