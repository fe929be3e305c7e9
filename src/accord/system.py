"""The machine Accord runs on: how many cores it may use and what to record about it beside a measurement."""

from __future__ import annotations

import os
import platform
from typing import Any


def machine_threads() -> int:
    """CPU cores this process may use (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_info() -> dict[str, Any]:
    """CPU count, usable threads, processor, Python and (if installed) torch version, for benchmark reports."""
    info: dict[str, Any] = {"cpus": os.cpu_count(), "threads": machine_threads(),
                            "processor": platform.processor() or platform.machine(),
                            "python": platform.python_version()}
    try:
        import torch

        info |= {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    except ImportError:
        pass
    return info
