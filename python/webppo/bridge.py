"""A webppo game served by ``webppo serve-env``, as Python RL environments (numpy only).

``connect(address)`` or ``launch(target)`` opens a ``Connection`` speaking the protocol of docs/serve-env.md;
``RemoteVectorEnv``, ``RemoteEnv`` and ``ParallelEnv`` wrap it with Gymnasium's vector API, Gymnasium's
``Env`` API and PettingZoo's Parallel API (duck-typed: neither package is needed). Frames are read into one
preallocated buffer and read through numpy views over it; results are copied out unless ``copy=False``.
"""
from __future__ import annotations

import json
import os
import shlex
import socket
import struct
import subprocess
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from .spaces import space_from_json

PROTOCOL_VERSION = 1
HEADER = 8
HELLO, RESET, STEP, CLOSE, ERROR = 1, 2, 3, 4, 5
FLAG_FINAL_OBSERVATION = 1


class BridgeError(RuntimeError):
    """The env server refused a request (its message says why) or the connection broke."""


def _layout(rows: int, obs: int) -> Dict[str, int]:
    observation = HEADER
    reward = observation + rows * obs * 4
    terminated = reward + rows * 4
    truncated = terminated + rows
    alive = truncated + rows
    final = (alive + rows + 3) // 4 * 4
    return {"observation": observation, "reward": reward, "terminated": terminated, "truncated": truncated,
            "alive": alive, "final": final, "with_final": final + rows * obs * 4}


class Connection:
    """One env on a serve-env server: strict request / reply, one reusable buffer each way."""

    def __init__(self, address: str, process: Optional[subprocess.Popen] = None):
        self.address = address
        self.process = process
        if address.startswith("unix:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(address[len("unix:"):])
        elif address.startswith("tcp://"):
            host, _, port = address[len("tcp://"):].rpartition(":")
            self.sock = socket.create_connection((host.strip("[]"), int(port)))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            raise ValueError(f"address: expected tcp://HOST:PORT or unix:PATH, got {address!r}")
        self.sock.sendall(struct.pack("<IBBH", HEADER, HELLO, 0, 0))
        op, _, payload = self._receive_small()
        self.spec: Dict[str, Any] = json.loads(payload.decode("utf-8"))
        if self.spec.get("version") != PROTOCOL_VERSION:
            raise BridgeError(f"server speaks protocol version {self.spec.get('version')}, this client {PROTOCOL_VERSION}")
        rows, obs, act = self.spec["rows"], self.spec["observationSize"], self.spec["actionSize"]
        self.rows, self.observation_size, self.action_size = rows, obs, act
        self.categorical = self.spec["actionSpace"]["kind"] != "box"
        lay = _layout(rows, obs)
        self._reply = bytearray(max(lay["with_final"], 64))
        self._reply_view = memoryview(self._reply)
        buf = self._reply
        self.observation = np.frombuffer(buf, np.float32, rows * obs, lay["observation"]).reshape(rows, obs)
        self.reward = np.frombuffer(buf, np.float32, rows, lay["reward"])
        self.terminated = np.frombuffer(buf, np.uint8, rows, lay["terminated"])
        self.truncated = np.frombuffer(buf, np.uint8, rows, lay["truncated"])
        self.alive = np.frombuffer(buf, np.uint8, rows, lay["alive"])
        self.final_observation = np.frombuffer(buf, np.float32, rows * obs, lay["final"]).reshape(rows, obs)
        self._step_frame = bytearray(HEADER + rows * act * 4)
        struct.pack_into("<IBBH", self._step_frame, 0, len(self._step_frame), STEP, 0, 0)
        self.actions = np.frombuffer(self._step_frame, np.int32 if self.categorical else np.float32, rows * act, HEADER).reshape(rows, act)
        self._reset_frame = bytearray(HEADER + 8)
        self.has_final = False

    def _read_exact(self, view: memoryview) -> None:
        got = 0
        while got < len(view):
            n = self.sock.recv_into(view[got:])
            if n == 0:
                raise BridgeError("the env server closed the connection")
            got += n

    def _receive_small(self) -> Tuple[int, int, bytes]:
        header = bytearray(HEADER)
        self._read_exact(memoryview(header))
        length, op, flags, _ = struct.unpack("<IBBH", header)
        payload = bytearray(length - HEADER)
        self._read_exact(memoryview(payload))
        if op == ERROR:
            raise BridgeError(payload.decode("utf-8", "replace"))
        return op, flags, bytes(payload)

    def _receive_batch(self) -> None:
        view = self._reply_view
        self._read_exact(view[:HEADER])
        length, op, flags, _ = struct.unpack_from("<IBBH", self._reply, 0)
        if op == ERROR or length > len(self._reply):
            message = bytearray(length - HEADER)
            self._read_exact(memoryview(message))
            raise BridgeError(message.decode("utf-8", "replace"))
        self._read_exact(view[HEADER:length])
        self.has_final = bool(flags & FLAG_FINAL_OBSERVATION)

    def reset(self, seed: Optional[int] = None) -> None:
        """Resets every row (row e seeded with seed + e for vector envs); results are in the views."""
        struct.pack_into("<IBBHII", self._reset_frame, 0, len(self._reset_frame), RESET, 0, 0, 0 if seed is None else 1, 0 if seed is None else int(seed))
        self.sock.sendall(self._reset_frame)
        self._receive_batch()

    def step(self, actions: Optional[np.ndarray] = None) -> None:
        """Steps every row with ``actions`` (or with what was written into ``self.actions``)."""
        if actions is not None:
            self.actions[...] = np.asarray(actions).reshape(self.actions.shape)
        self.sock.sendall(self._step_frame)
        self._receive_batch()

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.sendall(struct.pack("<IBBH", HEADER, CLOSE, 0, 0))
                self._receive_small()
            except (OSError, BridgeError):
                pass
            self.sock.close()
            self.sock = None
        if self.process is not None:
            self.process.stdout.close()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def connect(address: str) -> Connection:
    """Connects to a running ``webppo serve-env`` (``tcp://127.0.0.1:PORT`` or ``unix:PATH``)."""
    return Connection(address)


def default_command() -> Sequence[str]:
    """``$WEBPPO_SERVE_ENV`` (a command line) or ``npx webppo serve-env``."""
    return shlex.split(os.environ.get("WEBPPO_SERVE_ENV", "npx webppo serve-env"))


def launch(target: str, num_envs: int = 1, command: Optional[Sequence[str]] = None, cwd: Optional[str] = None,
           socket_path: Optional[str] = None) -> Connection:
    """Starts ``webppo serve-env <target>`` (a built-in env id or a module path) and connects to it; closing the
    connection stops the server."""
    args = [*(command or default_command()), target, "--num-envs", str(num_envs)]
    args += ["--socket", socket_path] if socket_path else ["--port", "0"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, cwd=cwd, text=True)
    line = process.stdout.readline()
    prefix = "webppo serve-env: listening on "
    if not line.startswith(prefix):
        process.kill()
        raise BridgeError(f"serve-env did not start ({' '.join(args)}): {line.strip() or 'no output'}")
    return Connection(line[len(prefix):].strip(), process)


def _take(array: np.ndarray, copy: bool) -> np.ndarray:
    return array.copy() if copy else array


class RemoteVectorEnv:
    """Gymnasium's ``VectorEnv`` API over a served vector env, with same-step autoreset: an env whose episode
    ends is reset in the same step; the returned observation is the new episode's first and
    ``infos["final_obs"][e]`` (valid where ``infos["_final_obs"][e]``) the episode's last."""

    metadata = {"autoreset_mode": "same-step"}

    def __init__(self, connection: Connection, copy: bool = True):
        if connection.spec["kind"] != "vector":
            raise BridgeError("RemoteVectorEnv needs a vector env (this server serves a parallel multi-agent env)")
        self.connection = connection
        self.copy = copy
        self.num_envs = connection.rows
        self.single_observation_space = space_from_json(connection.spec["observationSpace"])
        self.single_action_space = space_from_json(connection.spec["actionSpace"])

    def reset(self, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed: expected an int (env e is seeded with seed + e), got {seed!r}")
        self.connection.reset(seed)
        return _take(self.connection.observation, self.copy), {}

    def step(self, actions) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Dict[str, Any]]:
        c = self.connection
        c.step(actions)
        infos: Dict[str, Any] = {}
        if c.has_final:
            ended = (c.terminated | c.truncated).astype(bool)
            infos = {"final_obs": c.final_observation.copy(), "_final_obs": ended}
        return (_take(c.observation, self.copy), _take(c.reward, self.copy), c.terminated.astype(bool),
                c.truncated.astype(bool), infos)

    def close(self) -> None:
        self.connection.close()


class RemoteEnv:
    """Gymnasium's ``Env`` API over a served env with one row. The server resets an ended episode at once; the
    new episode's first observation is kept here and returned by the next unseeded ``reset()``."""

    def __init__(self, connection: Connection):
        if connection.spec["kind"] != "vector" or connection.rows != 1:
            raise BridgeError(f"RemoteEnv needs a server with one env (--num-envs 1), this one has {connection.rows} {connection.spec['kind']} rows")
        self.connection = connection
        self.observation_space = space_from_json(connection.spec["observationSpace"])
        self.action_space = space_from_json(connection.spec["actionSpace"])
        self._next: Optional[np.ndarray] = None
        self._done = True

    def reset(self, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
        if seed is None and self._next is not None:
            observation, self._next = self._next, None
        else:
            self.connection.reset(seed)
            observation = self.connection.observation[0].copy()
        self._done = False
        return observation, {}

    def step(self, action) -> Tuple[np.ndarray, float, bool, bool, Dict[str, Any]]:
        if self._done:
            raise BridgeError("step() after the episode ended: call reset() first")
        c = self.connection
        c.step(np.asarray(action).reshape(1, -1))
        terminated, truncated = bool(c.terminated[0]), bool(c.truncated[0])
        if terminated or truncated:
            self._next = c.observation[0].copy()
            self._done = True
            observation = c.final_observation[0].copy()
        else:
            observation = c.observation[0].copy()
        return observation, float(c.reward[0]), terminated, truncated, {}

    def close(self) -> None:
        self.connection.close()


class ParallelEnv:
    """PettingZoo's Parallel API over a served multi-agent env: dicts keyed by agent id. No autoreset: when
    ``agents`` is empty the episode is over and ``reset()`` starts the next."""

    def __init__(self, connection: Connection, copy: bool = True):
        if connection.spec["kind"] != "parallel":
            raise BridgeError("ParallelEnv needs a parallel multi-agent env (this server serves a vector env)")
        self.connection = connection
        self.copy = copy
        self.possible_agents = list(connection.spec["agents"])
        self.agents: list = []
        self._observation_space = space_from_json(connection.spec["observationSpace"])
        self._action_space = space_from_json(connection.spec["actionSpace"])
        self._rows = {agent: r for r, agent in enumerate(self.possible_agents)}

    def observation_space(self, agent: str):
        return self._observation_space

    def action_space(self, agent: str):
        return self._action_space

    def _alive(self) -> list:
        return [a for a, r in self._rows.items() if self.connection.alive[r]]

    def reset(self, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None):
        c = self.connection
        c.reset(seed)
        self.agents = self._alive()
        return ({a: _take(c.observation[self._rows[a]], self.copy) for a in self.agents}, {a: {} for a in self.agents})

    def step(self, actions: Dict[str, Any]):
        c = self.connection
        acting = self.agents
        missing = [a for a in acting if a not in actions]
        if missing:
            raise BridgeError(f"actions: expected an action for every live agent, missing {missing}")
        c.actions[...] = 0
        for a in acting:
            c.actions[self._rows[a]] = np.asarray(actions[a]).reshape(-1)
        c.step()
        rows = {a: self._rows[a] for a in acting}
        observations = {a: _take(c.observation[r], self.copy) for a, r in rows.items()}
        rewards = {a: float(c.reward[r]) for a, r in rows.items()}
        terminations = {a: bool(c.terminated[r]) for a, r in rows.items()}
        truncations = {a: bool(c.truncated[r]) for a, r in rows.items()}
        self.agents = self._alive()
        return observations, rewards, terminations, truncations, {a: {} for a in acting}

    def close(self) -> None:
        self.connection.close()
