# timercore's compiled core: one extension module, timercore._core, built from one file
# per concept in core/ (as uvloop builds loop.pyx). Each concept's .pxd below declares its
# state and the C-level methods the others may call: the internal interface. Installed
# with the package: `from timercore._core cimport TimerWheel` is the public C API.
cimport cython
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

include "core/c_core.pxd"
include "core/validate.pxd"
include "core/clock.pxd"
include "core/wheel.pxd"
include "core/scope_state.pxd"
include "core/timers.pxd"
include "core/idle.pxd"
include "core/scope_core.pxd"
include "core/asyncio_timers.pxd"
