"""fiqa: face image quality assessment and recognizer robustness harness.

Image convention at every public edge: RGB ``uint8`` arrays of shape ``(H, W, 3)``.
Inside, measures work on ``float32`` copies; conversions happen once, at the boundary.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fiqa")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
