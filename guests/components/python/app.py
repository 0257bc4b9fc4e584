"""A Python handler compiled by componentize-py (world `http-kv`): a path
ending in `/kv/<name>` adds one to the counter `<name>` in the bucket
`COUNTS` through wasi:keyvalue and answers the sum; any other path is
greeted."""

from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports import atomics, store
from wit_world.imports.types import (
    Fields,
    IncomingRequest,
    OutgoingBody,
    OutgoingResponse,
    ResponseOutparam,
)


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        path = (request.path_with_query() or "/").split("?")[0]
        _, _, name = path.partition("/kv/")
        if name:
            with store.open("COUNTS") as bucket:
                text = str(atomics.increment(bucket, name, 1))
        else:
            text = f"Hello from Python at {path}"
        headers = Fields.from_list([("content-type", b"text/plain;charset=UTF-8")])
        response = OutgoingResponse(headers)
        response.set_status_code(200)
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        with body.write() as stream:
            stream.blocking_write_and_flush(text.encode())
        OutgoingBody.finish(body, None)
