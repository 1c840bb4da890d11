"""The checks every transaction passes before its messages run (CheckTx and FinalizeBlock).

Order matters: cheap stateless limits first, then the signer's account, sequence and
signature, and last the fee, so a tx that cannot pay never touches balances. The fee
and sequence writes land in their own layer, kept even when the messages later fail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chain.cache import BoundedCache
from chain.coins import DecPrice
from chain.context import Context, ExecMode, GasSchedule
from chain.crypto import SECP256K1, SIGNATURE_LENGTH, PublicKey, encode_address
from chain.errors import (
    INSUFFICIENT_FEE,
    INVALID_GAS_LIMIT,
    INVALID_PUBKEY,
    INVALID_REQUEST,
    INVALID_SEQUENCE,
    MEMO_TOO_LARGE,
    TX_TIMEOUT_HEIGHT,
    UNAUTHORIZED,
    UNKNOWN_ADDRESS,
)
from chain.store import KVStore
from chain.tx import DecodedTx, sign_bytes
from x.auth.events import emit_tx
from x.auth.expected import FeePayer
from x.auth.keeper import AccountKeeper
from x.auth.types import FEE_DENOM, Account

# A signature check is a pure function of its inputs, so a success seen in CheckTx is safe
# to reuse when the same bytes reach FinalizeBlock. Only successes are kept, under a digest
# of the inputs: failures cost their sender nothing, so caching them would let anyone fill
# the node's memory. 32-byte digests plus bookkeeping: about 200 bytes an entry. Sized, as
# the decoded-tx cache in chain/app.py, to twice the node's mempool.
_VERIFIED_ENTRY_BYTES = 200


class AnteHandler:
    """Authenticates a transaction and charges its fee."""

    def __init__(
        self,
        accounts: AccountKeeper,
        fees: FeePayer,
        schedule: GasSchedule,
        verified_entries: int,
    ) -> None:
        self._accounts = accounts
        self._fees = fees
        self._schedule = schedule
        self._verified: BoundedCache[bytes, bool] = BoundedCache(
            verified_entries, verified_entries * _VERIFIED_ENTRY_BYTES
        )

    def _signature_valid(self, public_key: PublicKey, document: bytes, signature: bytes) -> bool:
        digest = hashlib.sha256(
            public_key.type_url.encode() + public_key.key + signature + document
        ).digest()
        if self._verified.get(digest):
            return True
        valid = public_key.verify(document, signature)
        if valid:
            self._verified.put(digest, True, _VERIFIED_ENTRY_BYTES)
        return valid

    def max_tx_bytes(self, store: KVStore) -> int:
        return self._accounts.params(store).max_tx_bytes

    def max_tx_gas(self, store: KVStore) -> int:
        return self._accounts.params(store).max_tx_gas

    def check_limits(self, store: KVStore, tx: DecodedTx, height: int) -> None:
        """Limits checked before gas metering starts (a zero gas limit must not read as out of gas).

        Raises INVALID_REQUEST (too many messages), TX_TIMEOUT_HEIGHT, MEMO_TOO_LARGE,
        INVALID_GAS_LIMIT.
        """
        params = self._accounts.params(store)
        if len(tx.messages) > params.max_msgs_per_tx:
            raise INVALID_REQUEST(
                f"tx has {len(tx.messages)} messages, limit {params.max_msgs_per_tx}"
            )
        if tx.timeout_height and height > tx.timeout_height:
            raise TX_TIMEOUT_HEIGHT(f"block height {height} is past the tx's {tx.timeout_height}")
        # Counted in bytes, as Cosmos's len() counts max_memo_characters.
        memo_bytes = len(tx.memo.encode())
        if memo_bytes > params.max_memo_characters:
            raise MEMO_TOO_LARGE(f"memo is {memo_bytes} bytes, limit {params.max_memo_characters}")
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
        signature = tx.signature
        if ctx.mode is ExecMode.SIMULATE and not signature:
            # Charged as the signed tx will be: its signature adds as many tx bytes and
            # an event attribute, so the estimate is the block's figure exactly.
            signature = bytes(SIGNATURE_LENGTH)
        size = len(tx.raw) + len(signature) - len(tx.signature)
        ctx.gas.consume(self._schedule.tx_byte * size, "tx size")
        self._check_fee(ctx, tx, params.min_gas_price, node_min_gas_price)

        address = tx.public_key.address
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
        if tx.sequence != account.sequence and ctx.mode is not ExecMode.SIMULATE:
            raise INVALID_SEQUENCE(
                f"account sequence mismatch for {signer_address}: expected {account.sequence}, "
                f"got {tx.sequence}"
            )
        price = (
            self._schedule.signature_secp256k1
            if tx.public_key.algo == SECP256K1
            else self._schedule.signature_ed25519
        )
        ctx.gas.consume(price, "signature verification")
        if ctx.mode is not ExecMode.SIMULATE:  # charged all the same, as Cosmos does
            self._verify_signature(ctx, tx, account)

        updated = Account(address, account.account_number, account.sequence + 1, tx.public_key)
        self._accounts.set_account(ctx.store, updated)
        if tx.fee:
            self._fees.pay_fee(ctx, address, tx.fee)
        emit_tx(ctx, tx.fee, signer_address, tx.sequence, signature)
        return updated

    def recheck(self, store: KVStore, tx: DecodedTx, height: int, chain_id: str) -> None:
        """The mempool's check of a tx it already holds, after a commit: only what a block
        can change. The tx passed `check_limits` and `run` on admission; its bytes, limits,
        fee floor and the parameters (set at genesis only) are as they were, and its
        signature stays verified for its account number, which never changes. What a block
        can change: the height (expiry), the signer's sequence and the balance that pays
        the fee. Advances the sequence and takes the fee in store, so the signer's next
        txs are judged after this one; nothing is credited and nothing emitted (the check
        state is never committed). Charges no gas: CometBFT keeps only the code.

        Raises TX_TIMEOUT_HEIGHT, UNKNOWN_ADDRESS, INVALID_PUBKEY, INVALID_SEQUENCE,
        UNAUTHORIZED (a signature no longer in the cache that fails), INSUFFICIENT_FUNDS.
        """
        if tx.timeout_height and height > tx.timeout_height:
            raise TX_TIMEOUT_HEIGHT(f"block height {height} is past the tx's {tx.timeout_height}")
        address = tx.public_key.address
        account = self._accounts.account(store, address)
        if account is None:
            raise UNKNOWN_ADDRESS(f"account {encode_address(address)} does not exist")
        if account.public_key is not None and account.public_key != tx.public_key:
            raise INVALID_PUBKEY(
                f"public key does not match the one recorded for {encode_address(address)}"
            )
        if tx.sequence != account.sequence:
            raise INVALID_SEQUENCE(
                f"account sequence mismatch for {encode_address(address)}: expected "
                f"{account.sequence}, got {tx.sequence}"
            )
        # A cache hit (a digest, no curve arithmetic) unless the cache dropped the entry.
        document = sign_bytes(tx.body_bytes, tx.auth_info_bytes, chain_id, account.account_number)
        if not self._signature_valid(tx.public_key, document, tx.signature):
            raise UNAUTHORIZED("signature verification failed")
        self._accounts.set_account(
            store, Account(address, account.account_number, account.sequence + 1, tx.public_key)
        )
        if tx.fee:
            self._fees.subtract(store, address, tx.fee)

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
        if ctx.mode is ExecMode.SIMULATE:
            return  # the fee is what the estimate is for
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
        if not self._signature_valid(tx.public_key, document, tx.signature):
            raise UNAUTHORIZED(
                f"signature verification failed; check the chain-id (this chain is "
                f"{ctx.chain_id!r}), account number ({account.account_number}) and sequence "
                f"({account.sequence})"
            )
