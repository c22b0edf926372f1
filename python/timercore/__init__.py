"""timercore: the web platform's timer APIs for Python, on a C hierarchical timing wheel."""
from timercore._wheel import TimerWheel

__all__ = ["TimerWheel"]
__version__ = "0.1.0"
