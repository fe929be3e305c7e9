"""What a run records about the machine it ran on."""

from __future__ import annotations

from pathlib import Path

from accord.system import cpu_model, gemm_gflops, gemm_note


def test_the_cpu_model_names_the_processor_and_its_bf16_instructions(tmp_path: Path) -> None:
    amx = tmp_path / "amx"
    amx.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480C\n"
                   "flags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n\nprocessor\t: 1\n")
    plain = tmp_path / "plain"
    plain.write_text("model name\t: AMD EPYC 7B12\nflags\t\t: fpu avx2\n")
    assert cpu_model(amx) == "Intel(R) Xeon(R) Platinum 8480C (amx_bf16, avx512_bf16)"
    assert cpu_model(plain) == "AMD EPYC 7B12 (no native bf16)"
    assert cpu_model(tmp_path / "missing")  # no /proc: the platform's name instead


def test_the_matrix_product_rate_is_measured_and_shown_where_it_was() -> None:
    small = gemm_gflops((64, 64, 64), repeats=2)
    assert 0.01 < small < 100_000  # a measured rate of some GFLOP/s, not a constant
    assert gemm_note({"fp32_gemm_gflops": 171.6}) == ", fp32 matrix products at 172 GFLOP/s"
    assert gemm_note({}) == ""  # a report from before the rate was recorded
