"""A torch-only Gemma 3 text decoder for inference: the summariser's fast start-up path.

Loading Gemma 3 through ``transformers`` costs about 4 s of imports (its model-loading stack pulls in
``torch.distributed`` and ``torch._dynamo``) and ``peft`` another 0.6 s to merge the adapter, before a single token
is decoded. Inference needs none of that: this module reads the base's ``config.json`` and ``model.safetensors``
(memory-mapped), adds the LoRA deltas itself (``W + alpha/r * B @ A``, as ``merge_and_unload`` does) and runs the
same arithmetic as ``transformers``' ``Gemma3TextModel`` (pre/post RMS norms with ``1 + w``, QK norms, rotary
embeddings with a local and a global base, grouped-query attention scaled by ``query_pre_attn_scalar``, sliding
windows, a GELU-tanh MLP, the embedding scaled by sqrt(hidden)). Only plain LoRA adapters on linear layers are
merged here; anything else returns ``None`` and the caller loads through ``transformers``/``peft`` as before.
Tests compare hidden states with ``transformers`` on a tiny random Gemma 3 (left padding, KV cache steps).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import nn
from torch.nn import functional as F

from accord.summarise.kvcache import Cache, attend

MODEL_TYPES = ("gemma3_text",)  # the configs this module implements
WEIGHTS_FILE = "model.safetensors"  # a single-file checkpoint (sharded bases load through transformers)
ADAPTER_PREFIX = "base_model.model."  # how peft names the wrapped model's parameters in adapter files


def _empty(*shape: int) -> nn.Parameter:
    """A parameter with no storage yet (the checkpoint's tensor is assigned at load): building nn.Linear or
    nn.Embedding on the meta device would run their random init, which imports torch._dynamo (1.7 s)."""
    return nn.Parameter(torch.empty(*shape, device="meta"), requires_grad=False)


class Linear(nn.Module):
    """``y = x W^T`` (no bias), its weight assigned from the checkpoint."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = _empty(n_out, n_in)
        self.low: torch.Tensor | None = None  # a bf16 copy for autocast (add_bf16_copies); not in the state dict
        self.bf16_steps = False  # also read the bf16 copy outside autocast, fp32 in and out (set_bf16_steps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.low is not None:
            if torch.is_autocast_enabled(x.device.type):
                return F.linear(x, self.low)
            if self.bf16_steps:
                return F.linear(x.to(self.low.dtype), self.low).to(x.dtype)
        return F.linear(x, self.weight)


class Int8Linear(nn.Module):
    """``y = x W^T`` with ``W`` quantised to int8 per output channel and ``x`` per batch at run time (dynamic
    quantisation, fbgemm/oneDNN kernels): a quarter of the weight bytes read for every decoded token."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        weight = weight.detach().float()
        scales = weight.abs().amax(dim=1).clamp(min=1e-8).double() / 127
        with warnings.catch_warnings():  # quantised tensors are deprecated in favour of torchao (not offline here)
            warnings.simplefilter("ignore")
            q = torch.quantize_per_channel(weight, scales, torch.zeros(len(scales), dtype=torch.long), 0,
                                           torch.qint8)
        self.packed = torch.ops.quantized.linear_prepack(q, None)
        self.n_out = weight.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1]).float().contiguous()
        # reduce_range: 7-bit activations, so the int16 accumulation of kernels without VNNI cannot overflow
        return torch.ops.quantized.linear_dynamic(flat, self.packed, True).reshape(*x.shape[:-1], self.n_out)


# Projections left in fp32: the MLP's down projection reads GELU(gate) * up, whose rare huge activations per-batch
# int8 cannot represent; quantising it too garbled or emptied 3 of 12 real-validation summaries (docs/summariser.md).
INT8_KEEP = ("down_proj",)


def quantize_int8(model: nn.Module, keep: tuple[str, ...] = INT8_KEEP) -> int:
    """Replace the :class:`Linear` layers of ``model`` (attention and MLP, except those named in ``keep``; never the
    embedding or the tied head) by :class:`Int8Linear`, in place; returns how many were replaced (0: already
    quantised or not this module's model)."""
    done = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, Linear) and name not in keep:
                setattr(module, name, Int8Linear(child.weight))
                done += 1
    return done


def add_bf16_copies(model: nn.Module) -> int:
    """Give every :class:`Linear` of ``model`` (attention and MLP; not the embedding or the tied head) a bfloat16
    copy of its weight, used only under bf16 autocast (the prompt's prefill, where bf16 GEMM is 1.7x faster on a CPU
    with AVX512-BF16; the one-token steps stay fp32, where bf16 was 1.3-1.4x slower). Without the copy, autocast
    would convert each fp32 weight at every call. Returns how many copies were made (0: already there)."""
    done = 0
    for module in model.modules():
        if isinstance(module, Linear) and module.low is None:
            module.low = module.weight.detach().to(torch.bfloat16)
            done += 1
    return done


def set_bf16_steps(model: nn.Module, on: bool) -> int:
    """Let every :class:`Linear` with a bf16 copy use it outside autocast too, as the one-token steps run (inputs
    rounded to bf16, outputs back to fp32; attention and the norms stay fp32, the KV cache too unless
    :func:`set_bf16_cache`): with 25-32 rows a bf16 GEMM ran 3-4x faster than fp32 on a CPU with AVX512-BF16.
    Returns how many layers it set."""
    return _set_each(model, lambda m: isinstance(m, Linear) and m.low is not None, "bf16_steps", on)


def set_bf16_attention(model: nn.Module, on: bool) -> int:
    """Let every layer attend in bf16 GEMMs in a prompt pass under bf16 autocast (:func:`attend`); the one-token
    steps keep fp32 attention. Returns how many layers it set."""
    return _set_each(model, lambda m: isinstance(m, Layer), "bf16_attention", on)


def set_bf16_cache(model: nn.Module, on: bool) -> int:
    """Keep the KV cache of the one-token steps in bf16 (a step's queries rounded to bf16 to attend to it, its
    output back to fp32): the steps' attention reads half the bytes. Returns how many bodies it set."""
    return _set_each(model, lambda m: isinstance(m, Body), "cache_dtype", torch.bfloat16 if on else torch.float32)


def _set_each(model: nn.Module, wanted: Callable[[nn.Module], bool], name: str, value: object) -> int:
    """Set ``name`` to ``value`` on every module of ``model`` that ``wanted`` accepts; how many it set."""
    chosen = [module for module in model.modules() if wanted(module)]
    for module in chosen:
        setattr(module, name, value)
    return len(chosen)


class Embedding(nn.Module):
    """Token embeddings, also the tied output head."""

    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.weight = _empty(vocab, dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.weight)


class RMSNorm(nn.Module):
    """Gemma's RMS norm: computed in fp32, scaled by ``1 + weight``."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps, self.weight = eps, _empty(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the fused kernel gives the same numbers as x * rsqrt(mean(x^2) + eps) * (1 + w) in fp32, in half the time
        return F.rms_norm(x.float(), (x.shape[-1],), 1.0 + self.weight.float(), self.eps).type_as(x)


class Layer(nn.Module):
    """One decoder layer: attention and MLP, each between a pre and a post norm."""

    def __init__(self, c: SimpleNamespace, sliding: bool) -> None:
        super().__init__()
        heads, kv, hd, h = c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.hidden_size
        self.heads, self.kv_heads, self.head_dim = heads, kv, hd
        self.window = c.sliding_window if sliding else None
        self.bf16_attention = False  # a prompt pass under bf16 autocast attends in bf16 GEMMs (set_bf16_attention)
        self.scale = c.query_pre_attn_scalar ** -0.5
        self.self_attn = nn.Module()
        for name, n_in, n_out in (("q_proj", h, heads * hd), ("k_proj", h, kv * hd), ("v_proj", h, kv * hd),
                                  ("o_proj", heads * hd, h)):
            setattr(self.self_attn, name, Linear(n_in, n_out))
        self.self_attn.q_norm, self.self_attn.k_norm = RMSNorm(hd, c.rms_norm_eps), RMSNorm(hd, c.rms_norm_eps)
        self.mlp = nn.Module()
        for name, n_in, n_out in (("gate_proj", h, c.intermediate_size), ("up_proj", h, c.intermediate_size),
                                  ("down_proj", c.intermediate_size, h)):
            setattr(self.mlp, name, Linear(n_in, n_out))
        for name in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                     "post_feedforward_layernorm"):
            setattr(self, name, RMSNorm(h, c.rms_norm_eps))

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor], masks: dict[bool, torch.Tensor],
                kv: tuple[Cache, int], last_only: bool = False) -> torch.Tensor:
        """``kv``: the cache and this layer's index in it; the layer's keys and values are written there. With
        ``last_only`` only the last position goes on past its keys and values (a prompt pass reads no more of the
        last layer: the other positions' outputs are never used)."""
        a = self.self_attn
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        k = a.k_norm(a.k_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2))
        v = a.v_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        k, v = kv[0].write(kv[1], _rotate(k, *rope), v)
        mask = masks[self.window is not None]
        if last_only:
            x, h, mask, t = x[:, -1:], h[:, -1:], mask[:, :, -1:], 1
            rope = (rope[0][:, :, -1:], rope[1][:, :, -1:])
        q = _rotate(a.q_norm(a.q_proj(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)), *rope)
        low = self.bf16_attention and t > 1 and torch.is_autocast_enabled(x.device.type)
        y = attend(q, k, v, mask, self.scale, low)
        x = x + self.post_attention_layernorm(a.o_proj(y.transpose(1, 2).reshape(b, t, -1)))
        m = self.mlp
        h = self.pre_feedforward_layernorm(x)
        h = m.down_proj(F.gelu(m.gate_proj(h), approximate="tanh") * m.up_proj(h))
        return x + self.post_feedforward_layernorm(h)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin


class Body(nn.Module):
    """The decoder stack, called as ``transformers``' text model is by the sliced decoder."""

    def __init__(self, c: SimpleNamespace) -> None:
        super().__init__()
        self.c = c
        self.embed_tokens = Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(Layer(c, kind == "sliding_attention") for kind in c.layer_types)
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.cache_dtype = torch.float32  # of the KV cache's buffers (set_bf16_cache)
        steps = torch.arange(0, c.head_dim, 2, dtype=torch.int64).float() / c.head_dim
        self.inv_freq = {kind: 1.0 / (theta ** steps) for kind, theta in c.rope_theta.items()}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                use_cache: bool = True, cache: Cache | None = None, slots: torch.Tensor | None = None,
                last_only: bool = False) -> SimpleNamespace:
        """Hidden states of ``input_ids`` after the cached positions; ``attention_mask`` covers cache + input.

        ``slots`` (batch x input) place the inputs for the sliding windows; by default each input's cache column,
        as ``transformers`` counts. A caller that leaves masked-out columns in the cache (rejected draft tokens of
        :class:`~accord.summarise.generate.SlicedGreedy`) passes slots that skip them, so windows stay as without.
        ``last_only``: the hidden state of the last input only (a prompt pass; the cache is filled all the same).
        """
        t, total, dev = input_ids.shape[1], attention_mask.shape[1], input_ids.device
        x = self.embed_tokens(input_ids) * torch.tensor(self.c.hidden_size ** 0.5, dtype=self.embed_tokens.weight.dtype)
        if slots is None:
            slots = torch.arange(total - t, total, device=dev).expand(input_ids.shape[0], t)
        key_slots = slots if cache is None else torch.cat([cache.slots, slots], dim=1)
        causal = torch.arange(total, device=dev)[None, :] <= torch.arange(total - t, total, device=dev)[:, None]
        keep = causal[None] & attention_mask.bool()[:, None, :]
        keep = keep | torch.eye(total, dtype=torch.bool, device=dev)[total - t:][None]  # a pad query sees itself
        near = slots[:, :, None] - key_slots[:, None, :] < self.c.sliding_window
        masks = {False: keep[:, None], True: (keep & near)[:, None]}
        ropes = {}
        for kind, inv in self.inv_freq.items():
            angles = position_ids.float()[:, :, None] * inv.to(dev)[None, None, :]
            emb = torch.cat([angles, angles], dim=-1)
            ropes[kind] = (emb.cos()[:, None].to(x.dtype), emb.sin()[:, None].to(x.dtype))
        cache = Cache(len(self.layers), key_slots, self.cache_dtype) if cache is None else cache.to(self.cache_dtype)
        last = len(self.layers) - 1
        for i, (layer, kind) in enumerate(zip(self.layers, self.c.layer_types, strict=True)):
            x = layer(x, ropes[kind], masks, (cache, i), last_only and i == last)
        cache.slots, cache.length = key_slots, cache.length + t
        return SimpleNamespace(last_hidden_state=self.norm(x), cache=cache)


class Gemma3LM(nn.Module):
    """Body plus the tied output head, with the few methods the summariser uses."""

    def __init__(self, c: SimpleNamespace) -> None:
        super().__init__()
        self.config, self.model = c, Body(c)

    def get_output_embeddings(self) -> nn.Module:
        return self.model.embed_tokens  # tied: the head is the embedding matrix


def read_config(base: Path) -> SimpleNamespace | None:
    """The base's architecture as this module needs it, or ``None`` when it is not a plain Gemma 3 text model."""
    try:
        raw = json.loads((base / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rope = raw.get("rope_parameters") or {}
    if (raw.get("model_type") not in MODEL_TYPES or not raw.get("tie_word_embeddings", True)
            or raw.get("attn_logit_softcapping") or raw.get("use_bidirectional_attention")
            or any(r.get("rope_type", "default") != "default" for r in rope.values())
            or set(rope) != set(raw.get("layer_types", []))):
        return None
    return SimpleNamespace(**{k: raw[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "head_dim",
                                                  "num_attention_heads", "num_key_value_heads", "rms_norm_eps",
                                                  "query_pre_attn_scalar", "sliding_window", "layer_types")},
                           rope_theta={kind: float(r["rope_theta"]) for kind, r in rope.items()})


def lora_factors(adapter: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor, float]] | None:
    """``{weight name: (B, A, alpha/r)}`` of a plain LoRA adapter folder (the weight gains ``alpha/r * B @ A``), or
    ``None`` for any other adapter."""
    from safetensors.torch import load_file

    try:
        cfg = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
        tensors = load_file(adapter / "adapter_model.safetensors")
    except (OSError, ValueError):
        return None
    if (cfg.get("peft_type") != "LORA" or cfg.get("use_dora") or cfg.get("use_rslora") or cfg.get("fan_in_fan_out")
            or cfg.get("bias", "none") != "none" or cfg.get("modules_to_save") or cfg.get("rank_pattern")
            or cfg.get("alpha_pattern")):
        return None
    scale = cfg["lora_alpha"] / cfg["r"]
    factors = {}
    for name, a in tensors.items():
        if not name.endswith(".lora_A.weight"):
            continue
        b = tensors.get(name.replace(".lora_A.", ".lora_B."))
        if b is None:
            return None
        target = name.removeprefix(ADAPTER_PREFIX).replace(".lora_A.weight", ".weight")
        factors[target] = (b, a, scale)
    return factors if len(factors) * 2 == len(tensors) else None


SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}  # what read_safetensors
# converts to fp32; a checkpoint in any other dtype loads through transformers


def read_safetensors(path: Path) -> dict[str, torch.Tensor] | None:
    """A safetensors file's tensors as fp32, read into process memory rather than memory-mapped: GEMM on the
    mapped tensors ran 1.8x slower (a profile of 6 real reports), and copying them out of the map doubled the
    peak RSS. ``None`` for a dtype outside :data:`SAFETENSORS_DTYPES`."""
    import struct

    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        out = {}
        for name, meta in header.items():
            if name == "__metadata__":
                continue
            if meta["dtype"] not in SAFETENSORS_DTYPES:
                return None
            start, end = meta["data_offsets"]
            raw = torch.empty(end - start, dtype=torch.uint8)
            f.seek(8 + size + start)
            f.readinto(raw.numpy())
            out[name] = raw.view(SAFETENSORS_DTYPES[meta["dtype"]]).reshape(meta["shape"]).float()
    return out


def load(base: str | Path, adapter: str | Path | None = None) -> Gemma3LM | None:
    """The base (plus the merged adapter) as a :class:`Gemma3LM`, or ``None`` when this module cannot serve it."""
    base = Path(base)
    config = read_config(base)
    if config is None or not (base / WEIGHTS_FILE).exists():
        return None
    factors = lora_factors(Path(adapter)) if adapter is not None else {}
    if factors is None:
        return None
    lm = Gemma3LM(config)
    state = read_safetensors(base / WEIGHTS_FILE)
    if state is None:
        return None
    expected = set(lm.state_dict())
    if set(state) != expected or not set(factors) <= expected:
        return None
    for name, (b, a, scale) in factors.items():  # merged in place: no full-size delta allocated per weight
        state[name].addmm_(b.to(state[name].dtype), a.to(state[name].dtype), alpha=scale)
    lm.load_state_dict(state, assign=True)
    return lm.eval()
