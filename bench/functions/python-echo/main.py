"""The benchmark's Python echo handler: 200 with the request body, byte for byte.

Served by `ferrite run bench/functions/python-echo` (also under `--runtime pypy`).
`event.body` is the raw bytes unless the request says `application/json`, when the SDK
hands over the decoded value instead; the benchmark posts `application/octet-stream`.
"""


def handler(context, event):
    # bytes are answered as application/octet-stream, unchanged.
    return event.body
