"""Config: the ``FERRITE_*`` variables a wrapper reads, their defaults and errors."""

from __future__ import annotations

import os

import pytest

from ferrite_wrapper.config import Config


def test_config_from_env():
    config = Config.from_env(
        {
            "FERRITE_TRANSPORT": "tcp",
            "FERRITE_ADDRESS": "127.0.0.1:9",
            "FERRITE_CODEC": "json",
            "FERRITE_TOKEN": "ab",
            "FERRITE_HANDLER": "main:handler",
            "FERRITE_FUNCTION_DIR": "/fn",
            "FERRITE_FUNCTION_NAME": "hello",
            "FERRITE_WORKER_ID": "7",
            "FERRITE_LOG_LEVEL": "warn",
        }
    )
    assert config == Config(
        "tcp", "127.0.0.1:9", "json", "ab", "main:handler", "/fn", "hello", 7, "warn"
    )
    defaults = Config.from_env({"FERRITE_ADDRESS": "/s.sock"})
    assert (defaults.transport, defaults.codec, defaults.worker_id) == (
        "unix",
        "msgpack",
        0,
    )
    assert (defaults.log_level, defaults.function_dir) == ("info", os.getcwd())
    assert (defaults.shm_path, defaults.spin_micros) == ("", 0)
    for codec in ("msgpack", "json", "flatbuffers"):
        environ = {"FERRITE_ADDRESS": "/s.sock", "FERRITE_CODEC": codec}
        assert Config.from_env(environ).codec == codec


def test_config_of_shm():
    config = Config.from_env(
        {
            "FERRITE_TRANSPORT": "shm",
            "FERRITE_ADDRESS": "/d/worker-0.sock",
            "FERRITE_SHM_PATH": "/dev/shm/d/worker-0",
            "FERRITE_SPIN_MICROS": "50",
        }
    )
    assert (config.transport, config.address) == ("shm", "/d/worker-0.sock")
    assert (config.shm_path, config.spin_micros) == ("/dev/shm/d/worker-0", 50)


@pytest.mark.parametrize(
    ("environ", "error"),
    [
        ({}, "FERRITE_ADDRESS is not set"),
        ({"FERRITE_TRANSPORT": "quic"}, "FERRITE_TRANSPORT='quic'"),
        ({"FERRITE_TRANSPORT": "shm"}, "FERRITE_SHM_PATH is not set"),
        (
            {
                "FERRITE_TRANSPORT": "shm",
                "FERRITE_SHM_PATH": "/r",
                "FERRITE_SPIN_MICROS": "-1",
            },
            "FERRITE_SPIN_MICROS='-1'",
        ),
        ({"FERRITE_SPIN_MICROS": "1000001"}, "FERRITE_SPIN_MICROS='1000001'"),
        ({"FERRITE_CODEC": "protobuf"}, "FERRITE_CODEC='protobuf'"),
        ({"FERRITE_WORKER_ID": "x"}, "FERRITE_WORKER_ID='x'"),
        ({"FERRITE_LOG_LEVEL": "loud"}, "FERRITE_LOG_LEVEL: unknown log level"),
    ],
)
def test_config_errors(environ, error):
    environ = {"FERRITE_ADDRESS": "/s.sock", **environ} if environ else environ
    with pytest.raises(ValueError, match=error):
        Config.from_env(environ)
