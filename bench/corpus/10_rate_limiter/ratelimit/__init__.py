from .limiters import FixedWindow, TokenBucket

__all__ = ["FixedWindow", "TokenBucket"]
