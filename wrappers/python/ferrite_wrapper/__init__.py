"""ferrite's Python wrapper: the process ferrite starts for each worker of a Python or
PyPy function. It speaks the wire protocol (``schemas/PROTOCOL.md``) and runs the
user's handler with the SDK (``ferrite_sdk``, in ``sdk-python/``), which is all a
handler imports.

# Layout

- ``wrappers/python/wrapper.py``: the entry point: read the config, connect the
  transport, pick the codec, run the worker, exit status.
- :mod:`ferrite_wrapper.config`: :class:`Config`, the ``FERRITE_*`` variables.
- :mod:`ferrite_wrapper.protocol`: message kinds, protocol version, limits, errors.
- :mod:`ferrite_wrapper.worker`: :class:`Worker`: hello, load handler, init, ready,
  loop; event -> handler -> response; handler logs -> log messages; ping; shutdown.
- :mod:`ferrite_wrapper.connection`: :class:`Connection`, framed and batched I/O over
  one transport, whatever the codec.
- :mod:`ferrite_wrapper.codec`: the :class:`Codec` interface and its table
  (``json``: :mod:`~ferrite_wrapper.codec.json`, ``msgpack``:
  :mod:`~ferrite_wrapper.codec.msgpack`).
- :mod:`ferrite_wrapper.transport`: the :class:`Transport` interface and its table
  (``unix``: :mod:`~ferrite_wrapper.transport.unix`, ``tcp``:
  :mod:`~ferrite_wrapper.transport.tcp`).
"""
