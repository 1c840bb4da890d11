"""The bank's own module account: where every fee is paid (see chain.crypto.module_address)."""

from __future__ import annotations

from chain.crypto import module_address

FEE_COLLECTOR = "fee_collector"
FEE_COLLECTOR_ADDRESS = module_address(FEE_COLLECTOR)
