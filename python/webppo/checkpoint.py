"""webppo checkpoints <-> ``WebppoPolicy``.

A webppo checkpoint is a safetensors file whose ``__metadata__`` holds ``format: webppo-checkpoint``,
``version: 1``, ``config`` (the agent's options as JSON), ``optimizer.step``, ``rng``, ``counters`` and
``checksum`` (FNV-1a of the tensor data). Its tensors are the parameters under PyTorch names, Adam's moments
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
VERSION = "1"


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
    if metadata.get("version") != VERSION:
        raise CheckpointError(f"version {metadata.get('version')!r} is not supported (expected {VERSION})")
    (n,) = np.frombuffer(data, dtype="<u8", count=1)
    checksum = safetensors.fnv1a(data[8 + int(n):])
    if metadata.get("checksum") != checksum:
        raise CheckpointError(f"corrupted: tensor data checksum {checksum} does not match the recorded {metadata.get('checksum')}")
    return tensors, metadata, json.loads(metadata["config"])


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
    body = safetensors.write(tensors)
    (n,) = np.frombuffer(body, dtype="<u8", count=1)
    seed = int(config.get("seed", 0))
    metadata = {
        "format": FORMAT,
        "version": VERSION,
        "config": json.dumps(config, separators=(",", ":")),
        "optimizer.step": str(step),
        # PCG32 states (state:increment), odd increments as webppo's generators use.
        "rng": json.dumps({"inference": f"{seed}:{2 * 0x1d + 1}", "plan": f"{seed}:{2 * 0x5eed + 1}", "noise": f"{seed}:{2 * 0x401e + 1}"}),
        "counters": json.dumps({"steps": 0, "updates": 0, "episodes": 0, **(counters or {})}),
        "checksum": safetensors.fnv1a(body[8 + int(n):]),
    }
    return safetensors.write(tensors, metadata)
