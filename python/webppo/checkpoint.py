"""webppo checkpoints <-> ``WebppoPolicy``.

A webppo checkpoint is a safetensors file whose ``__metadata__`` holds ``format: webppo-checkpoint``,
``version``, ``config`` (the agent's options as JSON), ``optimizer.step``, ``rng``, ``counters`` and
``checksum``. Version 2 (what webppo writes) checksums the whole file, read with the checksum's own 8 digits as
``00000000``, and holds the config in the exact, complete form webppo writes. Version 1 checksums the tensor
data only and may name only some options (webppo fills in its defaults): ``save_checkpoint`` writes version 1,
so a config written here never has to repeat every webppo default. Its tensors are the parameters under PyTorch names, Adam's moments
(``optimizer.exp_avg.<name>``, ``optimizer.exp_avg_sq.<name>``), normalization statistics (``obs_rms.*``,
``return_rms.*``, float64) and the running game state (``episode.*``, ``rollout.*``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch

from . import safetensors
from .model import WebppoPolicy

FORMAT = "webppo-checkpoint"
VERSION = "2"
LEGACY_VERSION = "1"
PLACEHOLDER = "00000000"


class CheckpointError(ValueError):
    """Not a webppo checkpoint, or one that does not match the network it is loaded into."""


def _bytes(source: Union[str, Path, bytes, bytearray]) -> bytes:
    return bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()


def read_checkpoint(source: Union[str, Path, bytes]) -> Tuple[Dict[str, np.ndarray], Dict[str, str], Dict[str, Any]]:
    """``(tensors, metadata, config)`` of a webppo checkpoint, after checking its format, version and checksum."""
    data = _bytes(source)
    tensors, metadata = safetensors.read(data)
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"not a webppo checkpoint (metadata.format is {metadata.get('format')!r})")
    version = metadata.get("version")
    if version not in (VERSION, LEGACY_VERSION):
        raise CheckpointError(f"version {version!r} is not supported (expected {VERSION} or {LEGACY_VERSION})")
    recorded = str(metadata.get("checksum"))
    if version == LEGACY_VERSION:
        (n,) = np.frombuffer(data, dtype="<u8", count=1)
        checksum = safetensors.fnv1a(data[8 + int(n):])
    else:
        checksum = _file_checksum(data, recorded)
    if recorded != checksum:
        raise CheckpointError(f"corrupted: checksum {checksum} does not match the recorded {recorded}")
    return tensors, metadata, json.loads(metadata["config"])


def _header_length(tensors: Dict[str, np.ndarray]) -> int:
    (n,) = np.frombuffer(safetensors.write(tensors), dtype="<u8", count=1)
    return int(n)


def _file_checksum(data: bytes, digits: str) -> str:
    """FNV-1a of the whole file with the one ``"checksum":"<digits>"`` field's digits read as the placeholder."""
    needle = f'"checksum":"{digits}"'.encode()
    at = data.find(needle)
    if at < 0 or data.find(needle, at + 1) >= 0:
        raise CheckpointError("corrupted: the header must hold exactly one checksum field")
    start = at + len('"checksum":"')
    return safetensors.fnv1a(data[:start] + PLACEHOLDER.encode() + data[start + 8:])


def load_policy(source: Union[str, Path, bytes]) -> WebppoPolicy:
    """The ``WebppoPolicy`` of a webppo checkpoint with its ``state_dict`` loaded (strict: every name must match)."""
    tensors, _, config = read_checkpoint(source)
    policy = WebppoPolicy(config)
    expected = policy.state_dict()
    state = {}
    for name, target in expected.items():
        if name not in tensors:
            raise CheckpointError(f"tensor {name} is missing (the file does not match this network)")
        array = tensors[name]
        if tuple(array.shape) != tuple(target.shape):
            raise CheckpointError(f"tensor {name}: expected shape {list(target.shape)}, got {list(array.shape)}")
        state[name] = torch.from_numpy(array.astype(target.numpy().dtype, copy=False))
    policy.load_state_dict(state)
    return policy


def webppo_config(observation_space: Dict[str, Any], action_space: Dict[str, Any], num_agents: int = 1,
                  network: Optional[Dict[str, Any]] = None, ppo: Optional[Dict[str, Any]] = None,
                  seed: int = 0, masks: bool = False) -> Dict[str, Any]:
    """A config ``Agent.load`` accepts (the options it does not name take webppo's defaults there).
    Spaces are webppo's JSON form: ``{"kind": "discrete", "n": 2}``, ``{"kind": "multi_discrete", "nvec": [...]}``,
    ``{"kind": "box", "shape": [...], "low": [...], "high": [...]}`` (infinite bounds as "Infinity")."""
    return {"observationSpace": observation_space, "actionSpace": action_space, "numAgents": int(num_agents),
            "network": dict(network or {}), "ppo": dict(ppo or {}), "seed": int(seed), "masks": bool(masks)}


def save_checkpoint(policy: WebppoPolicy, optimizer: Optional[torch.optim.Adam] = None,
                    counters: Optional[Dict[str, int]] = None) -> bytes:
    """A webppo checkpoint of ``policy`` (its config, its weights under the same names) that ``Agent.load``
    reads: Adam's moments come from ``optimizer`` when given (zeros otherwise), reward statistics start fresh,
    no unfinished rollout. The result is bytes; write them to a ``.safetensors`` file."""
    config = policy.config
    num_agents = int(config.get("numAgents", 1))
    ppo = config.get("ppo") or {}
    tensors: Dict[str, np.ndarray] = {}
    params = dict(policy.named_parameters())
    for name, p in params.items():
        tensors[name] = p.detach().cpu().float().numpy()
    step = 0
    for moment in ("exp_avg", "exp_avg_sq"):
        for name, p in params.items():
            state = optimizer.state.get(p, {}) if optimizer is not None else {}
            value = state.get(moment)
            tensors[f"optimizer.{moment}.{name}"] = value.detach().cpu().float().numpy() if value is not None else np.zeros(p.shape, np.float32)
            if "step" in state:
                step = int(state["step"])
    if policy.obs_rms is not None:
        for key in ("mean", "var", "count"):
            tensors[f"obs_rms.{key}"] = getattr(policy.obs_rms, key).detach().cpu().double().numpy()
    if ppo.get("normalizeRewards"):
        tensors["return_rms.mean"] = np.zeros(1)
        tensors["return_rms.var"] = np.ones(1)
        tensors["return_rms.count"] = np.full(1, 1e-4)
        tensors["return_rms.returns"] = np.zeros(num_agents)
    tensors["episode.returns"] = np.zeros(num_agents, np.float64)
    tensors["episode.lengths"] = np.zeros(num_agents, np.int32)
    seed = int(config.get("seed", 0))
    metadata = {
        "format": FORMAT,
        "version": LEGACY_VERSION,
        "config": json.dumps(config, separators=(",", ":")),
        "optimizer.step": str(step),
        # PCG32 states (state:increment), odd increments as webppo's generators use.
        "rng": json.dumps({"inference": f"{seed}:{2 * 0x1d + 1}", "plan": f"{seed}:{2 * 0x5eed + 1}", "noise": f"{seed}:{2 * 0x401e + 1}"}, separators=(",", ":")),
        # Exactly as webppo writes them (key order, no spaces): Agent.load rejects any other form.
        "counters": json.dumps({"steps": 0, "updates": 0, "episodes": 0, "awaitingBootstrap": 0, "rolloutLagged": 0, **(counters or {})}, separators=(",", ":")),
        "checksum": safetensors.fnv1a(safetensors.write(tensors)[8 + _header_length(tensors):]),
    }
    return safetensors.write(tensors, metadata)
