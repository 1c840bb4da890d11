"""audit queries over committed state (gpuchain.audit.v1.Query): a provider's records from
every auditor, one (provider, auditor) record, and every record of one auditor."""

from __future__ import annotations

from google.protobuf import json_format

from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address
from chain.pagination import PageRequest, paginate
from chain.pb.gpuchain.audit.v1 import audit_pb2, query_pb2
from chain.store import KVStore
from x.audit import keys
from x.audit.errors import NO_ATTRIBUTES
from x.audit.keeper import AuditKeeper
from x.audit.types import AuditedAttributes

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
PROVIDER_ATTRIBUTES_PATH = query_path(SERVICE, "ProviderAttributes")
PROVIDER_AUDITOR_PATH = query_path(SERVICE, "ProviderAuditorAttributes")
AUDITOR_ATTRIBUTES_PATH = query_path(SERVICE, "AuditorAttributes")


def record_pb(record: AuditedAttributes) -> audit_pb2.AuditedAttributes:
    return json_format.ParseDict(record.to_json(), audit_pb2.AuditedAttributes())


def query_routes(keeper: AuditKeeper) -> list[QueryRoute]:
    def provider_attributes(
        store: KVStore, request: query_pb2.QueryProviderAttributesRequest
    ) -> query_pb2.QueryAttributesResponse:
        """One page of the provider's records, in auditor order."""
        owner = account_address(request.owner, "owner")
        page = paginate(
            store,
            keys.provider_prefix(owner),
            PageRequest.from_proto(request.pagination),
            lambda _, raw: AuditedAttributes.decode(raw),
        )
        return query_pb2.QueryAttributesResponse(
            attributes=[record_pb(r) for r in page.items], pagination=page.to_proto()
        )

    def provider_auditor(
        store: KVStore, request: query_pb2.QueryProviderAuditorRequest
    ) -> query_pb2.QueryAttributesResponse:
        """Raises INVALID_ADDRESS, NO_ATTRIBUTES."""
        owner = account_address(request.owner, "owner")
        auditor = account_address(request.auditor, "auditor")
        record = keeper.record(store, owner, auditor)
        if record is None:
            raise NO_ATTRIBUTES(f"{request.auditor} signed no attributes on {request.owner}")
        return query_pb2.QueryAttributesResponse(attributes=[record_pb(record)])

    def auditor_attributes(
        store: KVStore, request: query_pb2.QueryAuditorAttributesRequest
    ) -> query_pb2.QueryAttributesResponse:
        """One page of the auditor's records, in provider order."""
        auditor = account_address(request.auditor, "auditor")
        page = paginate(
            store,
            keys.auditor_prefix(auditor),
            PageRequest.from_proto(request.pagination),
            lambda owner, _: keeper.require(store, owner, auditor),
        )
        return query_pb2.QueryAttributesResponse(
            attributes=[record_pb(r) for r in page.items], pagination=page.to_proto()
        )

    return service_routes(
        SERVICE,
        {
            "ProviderAttributes": provider_attributes,
            "ProviderAuditorAttributes": provider_auditor,
            "AuditorAttributes": auditor_attributes,
        },
    )
