# Lets Cython find timercore/_core.pxd: `from timercore._core cimport TimerWheel`.
