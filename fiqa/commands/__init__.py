"""One module per ``fiqa`` sub-command: ``add_parser(subparsers)`` sets ``run`` as the default.

Keep heavy imports (torch, onnxruntime sessions) inside ``run`` so ``fiqa --help`` is fast.
"""
