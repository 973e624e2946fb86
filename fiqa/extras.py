"""Optional dependencies: the core installs and runs without them.

torch (with efficientnet-pytorch) is needed only to train fiqa's models and to optimise
adversarial patches; ``pip install 'fiqa[torch]'`` adds it (the README says how to get a
CPU-only build). :func:`require` turns its absence into one actionable message.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Which extra provides each optional module.
EXTRA_OF = {"torch": "torch", "efficientnet_pytorch": "torch"}


def require(*modules: str, purpose: str) -> list[ModuleType]:
    """Import ``modules``, or raise ValueError naming the extra that provides them.

    Examples
    --------
    >>> require("no_such_module_x", purpose="this example")
    Traceback (most recent call last):
    ...
    ValueError: this example needs no_such_module_x, which is not installed: pip install 'fiqa[no_such_module_x]' (see the README for a CPU-only torch)
    """
    imported = []
    for name in modules:
        try:
            imported.append(importlib.import_module(name))
        except ImportError:
            extra = EXTRA_OF.get(name, name)
            raise ValueError(
                f"{purpose} needs {name}, which is not installed: pip install 'fiqa[{extra}]' "
                "(see the README for a CPU-only torch)") from None
    return imported
