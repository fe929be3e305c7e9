"""The machine Accord runs on: how many cores it may use and what to record about it beside a measurement."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

_IMPORTED = time.monotonic()  # the fallback start of the process, where /proc is not there


def machine_threads() -> int:
    """CPU cores this process may use (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def process_age() -> float:
    """Seconds since this process started (from ``/proc``, so the interpreter's own start-up counts), else since
    this module was imported: the start-up time ``--verbose`` reports."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))  # field 22: start time in clock ticks
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The processor's model name and its bf16 instructions: timings of one recipe differ by up to 2x between the
    hosts a 2-core VM lands on, and a run that names its host lets them be compared (docs/decisions.md, stop 42)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    bf16 = [name for name in ("amx_bf16", "avx512_bf16") if name in flags]
    return f"{fields.get('model name', platform.machine())} ({', '.join(bf16) or 'no native bf16'})"


def machine_info() -> dict[str, Any]:
    """CPU count, usable threads, processor, Python and (if installed) torch version, for benchmark reports."""
    info: dict[str, Any] = {"cpus": os.cpu_count(), "threads": machine_threads(), "cpu_model": cpu_model(),
                            "processor": platform.processor() or platform.machine(),
                            "python": platform.python_version()}
    try:
        import torch

        info |= {"torch": torch.__version__, "torch_threads": torch.get_num_threads(), "bf16_native": bf16_native(),
                 "fp32_gemm_gflops": gemm_gflops()}
    except ImportError:
        pass
    return info


GEMM_SHAPE = (1024, 2048, 640)  # rows x outputs x inputs: eight 128-token prompts through a Gemma 3 270M MLP matrix
GEMM_REPEATS = 20  # the best of this many timed products (after three untimed: the thread pool wakes); 0.3 s


def gemm_gflops(shape: tuple[int, int, int] = GEMM_SHAPE, repeats: int = GEMM_REPEATS) -> float:
    """The fp32 matrix-product rate torch reaches on this machine's threads (GFLOP/s, best of ``repeats``): a
    model's fp32 pass cannot run faster than its multiply-adds at this rate, so a benchmark row can be read against
    it (docs/summariser.md, "Benchmark")."""
    import torch

    rows, outs, ins = shape
    a, b = torch.randn(rows, ins), torch.randn(ins, outs)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * rows * outs * ins / best / 1e9


def pinned_requirements(names: tuple[str, ...]) -> list[str]:
    """``name==installed_version`` for each installed distribution in ``names``: what a logged model requires, and
    what a cached score was computed with."""
    out = []
    for name in names:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return out


def gemm_note(machine: dict[str, Any]) -> str:
    """The fp32 matrix-product rate for a report's machine line, where it was measured (older reports lack it)."""
    rate = machine.get("fp32_gemm_gflops")
    return f", fp32 matrix products at {rate:.0f} GFLOP/s" if rate else ""


def bf16_native(device: str | None = None) -> bool:
    """Whether ``device`` (default: the GPU if there is one, else the CPU) computes bfloat16 natively (a CPU with
    AVX512-BF16 or AMX, a CUDA GPU with bf16): where it does, bf16 autocast makes a forward pass up to 1.8x faster;
    where it does not, torch emulates bf16 and is slower than float32, so the ``bf16`` training switches fall back to
    float32 there."""
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    cpu = getattr(torch, "cpu", None)
    return bool(cpu and (cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported()))
