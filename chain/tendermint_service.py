"""cosmos.base.tendermint.v1beta1.Service over the node's own CometBFT: node info, sync state
and blocks, as Cosmos's node answers them; and cosmos.consensus.v1.Query/Params, the
consensus params CometBFT runs with (wallets such as cosmpy cap gas estimates at
block.max_gas). Served by gRPC and the REST API next to the tx service (not by ABCI Query:
these are CometBFT's facts; the app never changes consensus params).

Blocks come from CometBFT's RPC as JSON and are rebuilt as tendermint.types.Block (and
Cosmos's sdk_block, whose proposer is a `gpuvalcons1…` address). Evidence is left out of
the rebuilt block: a wallet or explorer reads it from CometBFT's own RPC.
"""

from __future__ import annotations

import base64
from importlib import metadata
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2

from chain.crypto import encode_consensus_address
from chain.errors import INVALID_REQUEST, KEY_NOT_FOUND
from chain.module import QueryRoute, service_routes
from chain.pb.cosmos.base.tendermint.v1beta1 import query_pb2
from chain.pb.cosmos.base.tendermint.v1beta1 import types_pb2 as sdk_types_pb2
from chain.pb.cosmos.consensus.v1 import query_pb2 as consensus_query_pb2
from chain.pb.tendermint.p2p import types_pb2 as p2p_pb2
from chain.pb.tendermint.types import block_pb2, params_pb2, types_pb2, validator_pb2
from chain.pb.tendermint.version import types_pb2 as version_pb2
from chain.rpc import CometRpc, RpcError
from chain.store import KVStore
from chain.tx_service import call_node

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Service"]
CONSENSUS_SERVICE = consensus_query_pb2.DESCRIPTOR.services_by_name["Query"]
APP_NAME = "gpuchain"


class TendermintService:
    """The Service's block and node methods, answered through the node's CometBFT RPC."""

    def __init__(self, rpc: CometRpc) -> None:
        self._rpc = rpc

    def routes(self) -> list[QueryRoute]:
        return service_routes(
            SERVICE,
            {
                "GetNodeInfo": self.get_node_info,
                "GetSyncing": self.get_syncing,
                "GetLatestBlock": self.get_latest_block,
                "GetBlockByHeight": self.get_block_by_height,
            },
        ) + service_routes(CONSENSUS_SERVICE, {"Params": self.consensus_params})

    def consensus_params(
        self, _: KVStore, __: consensus_query_pb2.QueryParamsRequest
    ) -> consensus_query_pb2.QueryParamsResponse:
        # Asked for the latest height, CometBFT may answer "could not find consensus params"
        # while it is still storing that block's state: the params of the block before are
        # the same (gpuchain never changes them) and always stored.
        height = int(self._call("status")["sync_info"]["latest_block_height"])
        found = self._call("consensus_params", height=str(max(height - 1, 1)))["consensus_params"]
        block = found.get("block") or {}
        evidence = found.get("evidence") or {}
        age_ns = int(evidence.get("max_age_duration") or 0)
        return consensus_query_pb2.QueryParamsResponse(
            params=params_pb2.ConsensusParams(
                block=params_pb2.BlockParams(
                    max_bytes=int(block.get("max_bytes") or 0),
                    max_gas=int(block.get("max_gas") or 0),
                ),
                evidence=params_pb2.EvidenceParams(
                    max_age_num_blocks=int(evidence.get("max_age_num_blocks") or 0),
                    max_age_duration=duration_pb2.Duration(
                        seconds=age_ns // 1_000_000_000, nanos=age_ns % 1_000_000_000
                    ),
                    max_bytes=int(evidence.get("max_bytes") or 0),
                ),
                validator=params_pb2.ValidatorParams(
                    pub_key_types=list((found.get("validator") or {}).get("pub_key_types") or [])
                ),
                version=params_pb2.VersionParams(
                    app=int((found.get("version") or {}).get("app") or 0)
                ),
                abci=params_pb2.ABCIParams(
                    vote_extensions_enable_height=int(
                        (found.get("abci") or {}).get("vote_extensions_enable_height") or 0
                    )
                ),
            )
        )

    def get_node_info(
        self, _: KVStore, __: query_pb2.GetNodeInfoRequest
    ) -> query_pb2.GetNodeInfoResponse:
        info = self._call("status")["node_info"]
        protocol = info.get("protocol_version") or {}
        other = info.get("other") or {}
        return query_pb2.GetNodeInfoResponse(
            default_node_info=p2p_pb2.DefaultNodeInfo(
                protocol_version=p2p_pb2.ProtocolVersion(
                    p2p=int(protocol.get("p2p") or 0),
                    block=int(protocol.get("block") or 0),
                    app=int(protocol.get("app") or 0),
                ),
                default_node_id=str(info.get("id") or ""),
                listen_addr=str(info.get("listen_addr") or ""),
                network=str(info.get("network") or ""),
                version=str(info.get("version") or ""),
                channels=bytes.fromhex(str(info.get("channels") or "")),
                moniker=str(info.get("moniker") or ""),
                other=p2p_pb2.DefaultNodeInfoOther(
                    tx_index=str(other.get("tx_index") or ""),
                    rpc_address=str(other.get("rpc_address") or ""),
                ),
            ),
            application_version=query_pb2.VersionInfo(
                name=APP_NAME, app_name=APP_NAME, version=_app_version()
            ),
        )

    def get_syncing(
        self, _: KVStore, __: query_pb2.GetSyncingRequest
    ) -> query_pb2.GetSyncingResponse:
        sync_info = self._call("status")["sync_info"]
        return query_pb2.GetSyncingResponse(syncing=bool(sync_info.get("catching_up")))

    def get_latest_block(
        self, _: KVStore, __: query_pb2.GetLatestBlockRequest
    ) -> query_pb2.GetLatestBlockResponse:
        block_id, block, sdk_block = self._block(None)
        return query_pb2.GetLatestBlockResponse(block_id=block_id, block=block, sdk_block=sdk_block)

    def get_block_by_height(
        self, _: KVStore, request: query_pb2.GetBlockByHeightRequest
    ) -> query_pb2.GetBlockByHeightResponse:
        """Raises INVALID_REQUEST for a height below 1, KEY_NOT_FOUND above the chain's."""
        if request.height < 1:
            raise INVALID_REQUEST(f"height {request.height} is not a block height (1 or more)")
        block_id, block, sdk_block = self._block(request.height)
        return query_pb2.GetBlockByHeightResponse(
            block_id=block_id, block=block, sdk_block=sdk_block
        )

    def _block(
        self, height: int | None
    ) -> tuple[types_pb2.BlockID, block_pb2.Block, sdk_types_pb2.Block]:
        params = {"height": str(height)} if height is not None else {}
        try:
            found: dict[str, Any] = self._rpc.call("block", **params)
        except RpcError as error:
            if "must be less than or equal to the current blockchain height" in str(error):
                raise KEY_NOT_FOUND(f"block {height} is not made yet") from None
            raise INVALID_REQUEST(str(error)) from None
        block = found["block"]
        header = block["header"]
        tendermint_header = types_pb2.Header(
            version=version_pb2.Consensus(
                block=int(header["version"].get("block") or 0),
                app=int(header["version"].get("app") or 0),
            ),
            chain_id=header["chain_id"],
            height=int(header["height"]),
            time=_timestamp(header["time"]),
            last_block_id=_block_id(header["last_block_id"]),
            proposer_address=_hex(header["proposer_address"]),
            **{name: _hex(header[name]) for name in _HEADER_HASHES},
        )
        sdk_header = sdk_types_pb2.Header(
            version=tendermint_header.version,
            chain_id=tendermint_header.chain_id,
            height=tendermint_header.height,
            time=tendermint_header.time,
            last_block_id=tendermint_header.last_block_id,
            proposer_address=encode_consensus_address(tendermint_header.proposer_address),
            **{name: getattr(tendermint_header, name) for name in _HEADER_HASHES},
        )
        data = types_pb2.Data(txs=[base64.b64decode(tx) for tx in block["data"].get("txs") or []])
        last_commit = _commit(block.get("last_commit") or {})
        return (
            _block_id(found["block_id"]),
            block_pb2.Block(header=tendermint_header, data=data, last_commit=last_commit),
            sdk_types_pb2.Block(header=sdk_header, data=data, last_commit=last_commit),
        )

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        return call_node(self._rpc, method, **params)


_HEADER_HASHES = (
    "last_commit_hash",
    "data_hash",
    "validators_hash",
    "next_validators_hash",
    "consensus_hash",
    "app_hash",
    "last_results_hash",
    "evidence_hash",
)


def _app_version() -> str:
    try:
        return metadata.version(APP_NAME)
    except metadata.PackageNotFoundError:
        return ""


def _hex(text: str | None) -> bytes:
    return bytes.fromhex(text or "")


def _timestamp(text: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromJsonString(text)
    return stamp


def _block_id(found: dict[str, Any]) -> types_pb2.BlockID:
    parts = found.get("parts") or {}
    return types_pb2.BlockID(
        hash=_hex(found.get("hash")),
        part_set_header=types_pb2.PartSetHeader(
            total=int(parts.get("total") or 0), hash=_hex(parts.get("hash"))
        ),
    )


def _commit(found: dict[str, Any]) -> types_pb2.Commit:
    return types_pb2.Commit(
        height=int(found.get("height") or 0),
        round=int(found.get("round") or 0),
        block_id=_block_id(found.get("block_id") or {}),
        signatures=[
            types_pb2.CommitSig(
                block_id_flag=validator_pb2.BlockIDFlag.Name(int(sig["block_id_flag"])),
                validator_address=_hex(sig.get("validator_address")),
                timestamp=_timestamp(sig["timestamp"]),
                signature=base64.b64decode(sig.get("signature") or ""),
            )
            for sig in found.get("signatures") or []
        ],
    )
