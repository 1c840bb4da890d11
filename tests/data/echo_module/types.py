"""echo's messages and queries, declared here as a proto file would declare them."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PACKAGE = "gpuchain.echo.v1"
SAID_PATH = f"/{PACKAGE}.Query/Said"


def _declare() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="gpuchain/echo/v1/echo.proto", package=PACKAGE, syntax="proto3"
    )
    for name, fields in (
        ("MsgSay", ("sender", "text")),
        ("MsgSayResponse", ()),
        ("QuerySaidRequest", ("address",)),
        ("QuerySaidResponse", ("text",)),
    ):
        message = proto.message_type.add(name=name)
        for number, field in enumerate(fields, start=1):
            message.field.add(
                name=field,
                number=number,
                type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            )
    return proto


_POOL = descriptor_pool.Default()
_POOL.AddSerializedFile(_declare().SerializeToString())


def _class(name: str) -> Any:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.{name}"))


MsgSay = _class("MsgSay")
MsgSayResponse = _class("MsgSayResponse")
QuerySaidRequest = _class("QuerySaidRequest")
QuerySaidResponse = _class("QuerySaidResponse")
