"""Both engines offer every member of engines.protocol.Engine, with the protocol's parameters.

The Protocol is structural: nothing but this test notices when an engine loses or renames a
member the recipe calls (DeepSpeed's runs only on CUDA machines, so its class is checked by shape).
"""

from __future__ import annotations

import inspect

import pytest

from tunedesk.config import TrainConfig
from tunedesk.engines.deepspeed_engine import DeepSpeedEngine
from tunedesk.engines.protocol import Engine
from tunedesk.engines.torch_engine import TorchEngine

ATTRIBUTES = sorted(Engine.__annotations__)  # name, device, rank, world_size, is_main, tmp_token
METHODS = sorted(
    name for name, value in vars(Engine).items() if inspect.isfunction(value) and not name.startswith("_")
)


def test_protocol_lists_what_the_loop_uses():
    assert {"name", "device", "world_size", "is_main", "tmp_token"} <= set(ATTRIBUTES)
    assert {"prepare", "backward", "step", "save_state", "load_state", "barrier"} <= set(METHODS)
    assert isinstance(vars(Engine)["lr"], property)


@pytest.mark.parametrize("engine_class", [TorchEngine, DeepSpeedEngine])
def test_engine_methods_match_the_protocol(engine_class):
    for name in METHODS:
        assert callable(getattr(engine_class, name, None)), f"{engine_class.__name__} lacks {name}()"
        wanted = list(inspect.signature(getattr(Engine, name)).parameters)
        got = list(inspect.signature(getattr(engine_class, name)).parameters)
        assert got == wanted, f"{engine_class.__name__}.{name}{got} differs from the protocol's {wanted}"
    assert isinstance(vars(engine_class).get("lr"), property), f"{engine_class.__name__}.lr is not a property"
    assert isinstance(engine_class.name, str)


def test_torch_engine_instance_has_every_attribute():
    engine = TorchEngine(TrainConfig(device="cpu"))
    for name in ATTRIBUTES:
        assert hasattr(engine, name), f"TorchEngine has no {name}"
    assert engine.name == "torch" and engine.is_main and engine.world_size == 1
