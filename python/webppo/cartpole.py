"""CartPole-v1 in pure Python with Gymnasium's dynamics (the same as webppo's src/envs/cartpole.ts: explicit
Euler, tau 0.02, +1 per step, terminated past 2.4 m or 12 degrees, truncated at 500 steps). The peer the
serve-env benchmark compares against, and a reference for the bridge tests."""
from __future__ import annotations

import math
from typing import List, Optional

import numpy as np

GRAVITY, MASS_CART, MASS_POLE, LENGTH, FORCE_MAG, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TOTAL_MASS = MASS_CART + MASS_POLE
POLE_MASS_LENGTH = MASS_POLE * LENGTH
THETA_LIMIT = 12 * 2 * math.pi / 360
X_LIMIT = 2.4
MAX_STEPS = 500


class CartPole:
    """One env, Gymnasium's Env API; the state is four Python floats."""

    def __init__(self, seed: Optional[int] = None):
        self.rng = np.random.default_rng(seed)
        self.state: List[float] = [0.0, 0.0, 0.0, 0.0]
        self.steps = 0

    def reset(self, seed: Optional[int] = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.state = [float(v) for v in self.rng.uniform(-0.05, 0.05, 4)]
        self.steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action: int):
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if action == 1 else -FORCE_MAG
        cos, sin = math.cos(theta), math.sin(theta)
        temp = (force + POLE_MASS_LENGTH * theta_dot * theta_dot * sin) / TOTAL_MASS
        theta_acc = (GRAVITY * sin - cos * temp) / (LENGTH * (4.0 / 3.0 - MASS_POLE * cos * cos / TOTAL_MASS))
        x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos / TOTAL_MASS
        x += TAU * x_dot
        x_dot += TAU * x_acc
        theta += TAU * theta_dot
        theta_dot += TAU * theta_acc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        terminated = x < -X_LIMIT or x > X_LIMIT or theta < -THETA_LIMIT or theta > THETA_LIMIT
        truncated = not terminated and self.steps >= MAX_STEPS
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}


class CartPoleVector:
    """num_envs CartPoles stepped one after the other in Python, with same-step autoreset (as serve-env)."""

    def __init__(self, num_envs: int, seed: int = 0):
        self.envs = [CartPole(seed + e) for e in range(num_envs)]
        self.num_envs = num_envs
        self.observation = np.zeros((num_envs, 4), np.float32)
        for e, env in enumerate(self.envs):
            self.observation[e] = env.reset()[0]

    @property
    def state(self) -> np.ndarray:
        """A writable copy-in view: assigning rows sets each env's float state."""
        outer = self

        class _State:
            def __setitem__(self, key, value):
                for e, row in enumerate(np.asarray(value, dtype=np.float64).reshape(outer.num_envs, 4)):
                    outer.envs[e].state = [float(v) for v in row]
        return _State()

    def reset(self, seed: Optional[int] = None):
        for e, env in enumerate(self.envs):
            self.observation[e] = env.reset(None if seed is None else seed + e)[0]
        return self.observation.copy(), {}

    def step(self, actions):
        n = self.num_envs
        rewards = np.zeros(n, np.float32)
        terminated = np.zeros(n, bool)
        truncated = np.zeros(n, bool)
        final = None
        for e, env in enumerate(self.envs):
            obs, rewards[e], terminated[e], truncated[e], _ = env.step(int(actions[e]))
            if terminated[e] or truncated[e]:
                final = np.zeros_like(self.observation) if final is None else final
                final[e] = obs
                obs = env.reset()[0]
            self.observation[e] = obs
        infos = {} if final is None else {"final_obs": final, "_final_obs": terminated | truncated}
        return self.observation.copy(), rewards, terminated, truncated, infos
