# Copy Cython's C output IN to OUT with the .pyx paths its tracebacks show made relative to
# src/ ("timercore/core/timers.pyx"), not to the build directory it ran in ("../../src/...").
# Usage: cmake -DIN=... -DOUT=... -DSRC=<the source tree's src/ dir> -DBUILD=<cwd of cython>
#        -P traceback_paths.cmake
file(READ "${IN}" text)
file(RELATIVE_PATH rel "${BUILD}" "${SRC}")
string(REPLACE "\"${rel}/timercore/" "\"timercore/" text "${text}")
string(REPLACE "\"${SRC}/timercore/" "\"timercore/" text "${text}")
file(WRITE "${OUT}" "${text}")
