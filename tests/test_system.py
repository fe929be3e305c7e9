"""What a run records about the machine it ran on."""

from __future__ import annotations

from pathlib import Path

from accord.system import cpu_model


def test_the_cpu_model_names_the_processor_and_its_bf16_instructions(tmp_path: Path) -> None:
    amx = tmp_path / "amx"
    amx.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480C\n"
                   "flags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n\nprocessor\t: 1\n")
    plain = tmp_path / "plain"
    plain.write_text("model name\t: AMD EPYC 7B12\nflags\t\t: fpu avx2\n")
    assert cpu_model(amx) == "Intel(R) Xeon(R) Platinum 8480C (amx_bf16, avx512_bf16)"
    assert cpu_model(plain) == "AMD EPYC 7B12 (no native bf16)"
    assert cpu_model(tmp_path / "missing")  # no /proc: the platform's name instead
