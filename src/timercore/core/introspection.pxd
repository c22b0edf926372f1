# ScopeCore: the chain's last link, with counts, snapshots, lateness and invariants
# (core/introspection.pyx).

cdef class ScopeCore(EventLoop):
    pass
