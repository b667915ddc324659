"""The webppo actor-critic as a ``torch.nn.Module``, built from a checkpoint's config.

Parameter names and shapes are webppo's (PyTorch's own): separate networks are ``actor = Sequential(Linear,
act, ..., Linear)`` and the same ``critic`` (so ``actor.0.weight``, ``actor.2.weight``, ...); a shared trunk is
``trunk = Sequential(Linear, act, ...)`` with one-layer heads ``actor.0`` and ``critic.0``; Box actions add
``log_std``. Observation normalization, when the agent has it, is the buffers ``obs_rms.mean``, ``obs_rms.var``
and ``obs_rms.count`` (float64), applied as webppo does: ``clip((x - mean) / sqrt(var + 1e-8), -10, 10)``.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn

DEFAULT_NETWORK = {"hidden": [64, 64], "activation": "tanh", "shared": False, "distribution": "normal"}
NORM_EPSILON = 1e-8
NORM_CLIP = 10.0


def _bound(value: Any) -> float:
    return float(value) if not isinstance(value, str) else float(value.replace("Infinity", "inf"))


def flat_size(space: Dict[str, Any]) -> int:
    """Floats per observation row (Discrete / MultiDiscrete observations are one-hot)."""
    if space["kind"] == "box":
        return int(np.prod(space["shape"]))
    if space["kind"] == "discrete":
        return int(space["n"])
    return int(sum(space["nvec"]))


def action_size(space: Dict[str, Any]) -> int:
    """Entries per action row: one per categorical branch, or one float per continuous dimension."""
    if space["kind"] == "box":
        return int(np.prod(space["shape"]))
    return 1 if space["kind"] == "discrete" else len(space["nvec"])


def branches(space: Dict[str, Any]) -> List[int]:
    return [int(space["n"])] if space["kind"] == "discrete" else [int(n) for n in space["nvec"]]


class RunningMeanStd(nn.Module):
    """webppo's observation statistics as buffers (float64), named like its checkpoint tensors."""

    def __init__(self, size: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(size, dtype=torch.float64))
        self.register_buffer("var", torch.ones(size, dtype=torch.float64))
        self.register_buffer("count", torch.full((1,), 1e-4, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x.double() - self.mean) / torch.sqrt(self.var + NORM_EPSILON)
        return z.clamp(-NORM_CLIP, NORM_CLIP).float()

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        """Merges a batch of rows (parallel Welford, as webppo's RunningMeanStd)."""
        x = x.double().reshape(-1, self.mean.numel())
        rows = x.shape[0]
        batch_mean = x.mean(0)
        batch_var = ((x - batch_mean) ** 2).sum(0)
        total = self.count + rows
        delta = batch_mean - self.mean
        m2 = self.var * self.count + batch_var + delta * delta * self.count * rows / total
        self.mean += delta * rows / total
        self.var.copy_(m2 / total)
        self.count.copy_(total)


def _layer(inputs: int, outputs: int, gain: float) -> nn.Linear:
    layer = nn.Linear(inputs, outputs)
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


class WebppoPolicy(nn.Module):
    """The actor-critic a webppo config describes; initialized as webppo does (orthogonal, CleanRL gains)."""

    def __init__(self, config: Dict[str, Any]):
        super().__init__()
        self.config = config
        self.observation_space = config["observationSpace"]
        self.action_space = config["actionSpace"]
        network = {**DEFAULT_NETWORK, **(config.get("network") or {})}
        self.network = network
        hidden = [int(h) for h in network["hidden"]]
        activation = {"tanh": nn.Tanh, "relu": nn.ReLU}[network["activation"]]
        self.observation_size = flat_size(self.observation_space)
        space = self.action_space
        self.box = space["kind"] == "box"
        self.outputs = action_size(space) if self.box else sum(branches(space))

        def stack(inputs: int) -> Tuple[List[nn.Module], int]:
            modules: List[nn.Module] = []
            for h in hidden:
                modules += [_layer(inputs, h, math.sqrt(2)), activation()]
                inputs = h
            return modules, inputs

        if network["shared"]:
            trunk, features = stack(self.observation_size)
            self.trunk = nn.Sequential(*trunk)
            self.actor = nn.Sequential(_layer(features, self.outputs, 0.01))
            self.critic = nn.Sequential(_layer(features, 1, 1.0))
        else:
            self.trunk = None
            actor, features = stack(self.observation_size)
            self.actor = nn.Sequential(*actor, _layer(features, self.outputs, 0.01))
            critic, features = stack(self.observation_size)
            self.critic = nn.Sequential(*critic, _layer(features, 1, 1.0))
        if self.box:
            self.log_std = nn.Parameter(torch.zeros(self.outputs))
            low = np.array([_bound(v) for v in space["low"]], dtype=np.float32)
            high = np.array([_bound(v) for v in space["high"]], dtype=np.float32)
            self.register_buffer("action_loc", torch.from_numpy((high + low) / 2), persistent=False)
            self.register_buffer("action_scale", torch.from_numpy((high - low) / 2), persistent=False)
        self.squash = self.box and network["distribution"] == "tanh_normal"
        ppo = config.get("ppo") or {}
        self.obs_rms = RunningMeanStd(self.observation_size) if ppo.get("normalizeObservations") else None

    def normalize(self, observations: torch.Tensor) -> torch.Tensor:
        observations = observations.reshape(-1, self.observation_size)
        return self.obs_rms(observations) if self.obs_rms is not None else observations.float()

    def forward(self, observations: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Actor outputs (logits, or Gaussian means) and values [batch] for raw observations [batch, obs]."""
        x = self.normalize(observations)
        if self.trunk is not None:
            x = self.trunk(x)
        return self.actor(x), self.critic(x).squeeze(-1)

    def value(self, observations: torch.Tensor) -> torch.Tensor:
        return self.forward(observations)[1]

    def _masked(self, logits: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        return logits if mask is None else logits.masked_fill(~mask.bool(), float("-inf"))

    @torch.no_grad()
    def deterministic_action(self, observations: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """What webppo's predict() returns: argmax per branch (masked; first maximum), the mean, or
        loc + scale * tanh(mean) for tanh_normal. Shape [batch, action entries]."""
        out, _ = self.forward(observations)
        if self.box:
            return self.action_loc + self.action_scale * torch.tanh(out) if self.squash else out
        parts = torch.split(self._masked(out, mask), branches(self.action_space), dim=-1)
        return torch.stack([p.argmax(-1) for p in parts], dim=-1)

    def get_action_and_value(self, observations: torch.Tensor, action: Optional[torch.Tensor] = None, mask: Optional[torch.Tensor] = None):
        """CleanRL's interface: (action, log_prob, entropy, value); draws an action when none is given.
        Box actions are in webppo's stored form (the pre-squash u for tanh_normal)."""
        out, value = self.forward(observations)
        if self.box:
            dist = torch.distributions.Normal(out, self.log_std.exp().expand_as(out))
            u = dist.sample() if action is None else action
            log_prob = dist.log_prob(u).sum(-1)
            if self.squash:
                log_prob = log_prob - (2 * (math.log(2) - u - nn.functional.softplus(-2 * u))).sum(-1) - torch.log(self.action_scale).sum()
            return u, log_prob, dist.entropy().sum(-1), value
        parts = torch.split(self._masked(out, mask), branches(self.action_space), dim=-1)
        dists = [torch.distributions.Categorical(logits=p) for p in parts]
        if action is None:
            action = torch.stack([d.sample() for d in dists], dim=-1)
        action = action.reshape(out.shape[0], len(dists))
        log_prob = sum(d.log_prob(action[:, b]) for b, d in enumerate(dists))
        entropy = sum(d.entropy() for d in dists)
        return action, log_prob, entropy, value
