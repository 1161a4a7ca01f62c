"""The conformance function for the Python runtime: one handler, one branch per case.

Written as a nuclio user would write it (no ferrite imports), so the suite also proves
that nuclio handlers run unmodified.
"""

import os
import sys
import time


def init_context(context):
    context.user_data.init_calls = getattr(context.user_data, "init_calls", 0) + 1
    context.user_data.events = 0


def handler(context, event):
    context.user_data.events += 1
    route = ROUTES.get(event.path)
    if route is None:
        return context.Response(body=f"no case at {event.path}", status_code=404)
    return route(context, event)


def return_text(context, event):
    return "hello, world"


def return_bytes(context, event):
    return b"\x00\x01\xfe\xff"


def return_json(context, event):
    return {"name": "ferrite", "count": 3, "nested": {"ok": True}, "list": [1, "two"]}


def return_response(context, event):
    return context.Response(
        body="created",
        headers={"X-Ferrite-Case": "return-response"},
        content_type="text/x-ferrite",
        status_code=201,
    )


def return_status_pair(context, event):
    return 202, "accepted"


def return_nothing(context, event):
    return None


def echo(context, event):
    return context.Response(body=event.body, content_type="application/octet-stream")


def metadata(context, event):
    return {
        "method": event.method,
        "path": event.path,
        "url": event.url,
        "query": dict(event.fields),
        "custom_header": event.get_header("x-CUSTOM-header"),
        "content_type": event.content_type,
        "trigger_kind": event.trigger.kind,
        "body": event.body.decode(),
        "has_id": bool(event.id),
    }


def json_body(context, event):
    return {"a_plus_one": event.body["a"] + 1, "tags": event.body["tags"]}


def non_ascii(context, event):
    return "héllo wörld ✓ 日本 | " + event.body.decode("utf-8")


def raise_error(context, event):
    raise RuntimeError("conformance boom")


def log(context, event):
    context.logger.debug("conformance-debug")
    context.logger.info("conformance-info")
    context.logger.warn("conformance-warn")
    context.logger.error("conformance-error")
    context.logger.info_with("conformance-structured", answer=42, who="python")
    return "logged"


def env(context, event):
    return os.environ.get(event.fields["name"], "")


def state(context, event):
    return {
        "worker": context.worker_id,
        "init_calls": context.user_data.init_calls,
        "events": context.user_data.events,
    }


def noise(context, event):
    print('conformance-stdout-noise \x00\x00\x00\x05 {"kind":"response"}')
    print("conformance-stderr-noise", file=sys.stderr)
    return "quiet"


def exit_process(context, event):
    os._exit(3)


def sleep(context, event):
    time.sleep(float(event.fields["seconds"]))
    return {"worker": context.worker_id, "slept": float(event.fields["seconds"])}


ROUTES = {
    "/return-text": return_text,
    "/return-bytes": return_bytes,
    "/return-json": return_json,
    "/return-response": return_response,
    "/return-status-pair": return_status_pair,
    "/return-nothing": return_nothing,
    "/echo": echo,
    "/metadata": metadata,
    "/json-body": json_body,
    "/non-ascii": non_ascii,
    "/raise": raise_error,
    "/log": log,
    "/env": env,
    "/state": state,
    "/noise": noise,
    "/exit": exit_process,
    "/sleep": sleep,
}
