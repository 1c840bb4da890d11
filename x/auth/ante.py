"""The checks every transaction passes before its messages run (CheckTx and FinalizeBlock).

Order matters: cheap stateless limits first, then the signer's account, sequence and
signature, and last the fee, so a tx that cannot pay never touches balances. The fee
and sequence writes land in their own layer, kept even when the messages later fail.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence

from chain.coins import DecPrice
from chain.context import Context, ExecMode, GasSchedule
from chain.crypto import address_from_pubkey, encode_address, verify_signature
from chain.errors import (
    INSUFFICIENT_FEE,
    INVALID_GAS_LIMIT,
    INVALID_PUBKEY,
    INVALID_SEQUENCE,
    MEMO_TOO_LARGE,
    TX_TIMEOUT_HEIGHT,
    UNAUTHORIZED,
    UNKNOWN_ADDRESS,
)
from chain.store import KVStore
from chain.tx import DecodedTx, sign_bytes
from x.auth.expected import FeePayer
from x.auth.keeper import AccountKeeper
from x.auth.types import FEE_DENOM, Account

# A signature check is a pure function of its inputs, so a result cached in CheckTx is safe
# to reuse when the same bytes reach FinalizeBlock (lru_cache is also thread-safe).
_cached_signature_check = functools.lru_cache(maxsize=50_000)(verify_signature)


class AnteHandler:
    """Authenticates a transaction and charges its fee."""

    def __init__(self, accounts: AccountKeeper, fees: FeePayer, schedule: GasSchedule) -> None:
        self._accounts = accounts
        self._fees = fees
        self._schedule = schedule

    def max_tx_bytes(self, store: KVStore) -> int:
        return self._accounts.params(store).max_tx_bytes

    def check_limits(self, store: KVStore, tx: DecodedTx, height: int) -> None:
        """Limits checked before gas metering starts (a zero gas limit must not read as out of gas).

        Raises TX_TIMEOUT_HEIGHT, MEMO_TOO_LARGE, INVALID_GAS_LIMIT.
        """
        params = self._accounts.params(store)
        if tx.timeout_height and height > tx.timeout_height:
            raise TX_TIMEOUT_HEIGHT(f"block height {height} is past the tx's {tx.timeout_height}")
        if len(tx.memo) > params.max_memo_characters:
            raise MEMO_TOO_LARGE(
                f"memo has {len(tx.memo)} characters, limit {params.max_memo_characters}"
            )
        if not 0 < tx.gas_limit <= params.max_tx_gas:
            raise INVALID_GAS_LIMIT(f"gas limit {tx.gas_limit} outside 1..{params.max_tx_gas}")

    def run(
        self,
        ctx: Context,
        tx: DecodedTx,
        signers: Sequence[str],
        node_min_gas_price: DecPrice | None,
    ) -> Account:
        """Check and charge tx (after check_limits); returns the signer's updated account.

        Raises INSUFFICIENT_FEE, UNAUTHORIZED (wrong signer or bad signature),
        UNKNOWN_ADDRESS, INVALID_PUBKEY, INVALID_SEQUENCE, INSUFFICIENT_FUNDS, OUT_OF_GAS.
        """
        params = self._accounts.params(ctx.store)
        ctx.gas.consume(self._schedule.tx_byte * len(tx.raw), "tx size")
        self._check_fee(ctx, tx, params.min_gas_price, node_min_gas_price)

        address = address_from_pubkey(tx.public_key)
        signer_address = encode_address(address)
        for index, signer in enumerate(signers):
            if signer != signer_address:
                raise UNAUTHORIZED(
                    f"message {index} must be signed by {signer}, tx is signed by {signer_address}"
                )
        account = self._accounts.account(ctx.store, address)
        if account is None:
            raise UNKNOWN_ADDRESS(
                f"account {signer_address} does not exist; it must receive funds first"
            )
        if account.public_key is not None and account.public_key != tx.public_key:
            raise INVALID_PUBKEY(f"public key does not match the one recorded for {signer_address}")
        if tx.sequence != account.sequence:
            raise INVALID_SEQUENCE(
                f"account sequence mismatch for {signer_address}: expected {account.sequence}, "
                f"got {tx.sequence}"
            )
        ctx.gas.consume(self._schedule.signature_ed25519, "signature verification")
        self._verify_signature(ctx, tx, account)

        updated = Account(address, account.account_number, account.sequence + 1, tx.public_key)
        self._accounts.set_account(ctx.store, updated)
        if tx.fee:
            self._fees.pay_fee(ctx, address, tx.fee)
        ctx.emit(
            "tx",
            ("fee", str(tx.fee)),
            ("fee_payer", signer_address),
        )
        ctx.emit("tx", ("acc_seq", f"{signer_address}/{tx.sequence}"))
        ctx.emit("tx", ("signature", base64.b64encode(tx.signature).decode()))
        return updated

    def _check_fee(
        self,
        ctx: Context,
        tx: DecodedTx,
        consensus_price: DecPrice,
        node_price: DecPrice | None,
    ) -> None:
        for coin in tx.fee:
            if coin.denom != FEE_DENOM:
                raise INSUFFICIENT_FEE(f"fees are paid in {FEE_DENOM}, not {coin.denom}")
        required = consensus_price.fee_for(tx.gas_limit)
        # The node's own minimum guards its mempool only; blocks follow the consensus one.
        if node_price is not None and ctx.mode in (ExecMode.CHECK, ExecMode.RECHECK):
            required = max(required, node_price.fee_for(tx.gas_limit))
        offered = tx.fee.amount_of(FEE_DENOM)
        if offered < required:
            raise INSUFFICIENT_FEE(
                f"fee {offered}{FEE_DENOM} is below the required {required}{FEE_DENOM} "
                f"for {tx.gas_limit} gas"
            )

    def _verify_signature(self, ctx: Context, tx: DecodedTx, account: Account) -> None:
        # Gentxs are signed before the genesis file is final, when account numbers are not
        # yet known: as in Cosmos SDK, genesis transactions sign with account number 0.
        number = 0 if ctx.mode == ExecMode.GENESIS else account.account_number
        document = sign_bytes(tx.body_bytes, tx.auth_info_bytes, ctx.chain_id, number)
        if not _cached_signature_check(tx.public_key, document, tx.signature):
            raise UNAUTHORIZED(
                f"signature verification failed; check the chain-id (this chain is "
                f"{ctx.chain_id!r}), account number ({account.account_number}) and sequence "
                f"({account.sequence})"
            )
