"""How CPython calls the hot entry points: each is a method descriptor (the interpreter's
cheapest call; a Cython CyFunction goes through a bound-method object), and each still has
a signature that tools (inspect, IDEs, help) can read."""
import inspect

import pytest

import timercore
from timercore import aio

HOT = [
    (timercore.Window, ["setTimeout", "setInterval", "clearTimeout", "clearInterval",
                        "queueMicrotask", "requestIdleCallback", "cancelIdleCallback",
                        "refresh", "set_timeout", "clear_timeout"]),
    (timercore.TimerWheel, ["insert", "cancel", "reschedule", "advance"]),
    (aio.TimerHandle, ["cancel"]),
]


@pytest.mark.parametrize("cls,name", [(c, n) for c, names in HOT for n in names])
def test_hot_methods_are_method_descriptors_with_signatures(cls, name):
    method = inspect.getattr_static(cls, name)
    assert type(method).__name__ == "method_descriptor", type(method)
    assert list(inspect.signature(method).parameters)[0] == "self"
