"""webppo's Python side: PyTorch ports of webppo checkpoints and webppo games as RL environments.

numpy and torch only (torch only for the model and checkpoint modules; the env bridge needs numpy alone).
"""
from . import safetensors
from .bridge import BridgeError, ParallelEnv, RemoteEnv, RemoteVectorEnv, connect, launch
from .spaces import Box, Discrete, MultiDiscrete, space_from_json

__all__ = ["safetensors", "BridgeError", "ParallelEnv", "RemoteEnv", "RemoteVectorEnv", "connect", "launch",
           "Box", "Discrete", "MultiDiscrete", "space_from_json", "WebppoPolicy", "load_policy", "save_checkpoint",
           "webppo_config", "read_checkpoint", "CheckpointError"]


def __getattr__(name):
    # torch is imported only when a model or checkpoint helper is asked for.
    if name == "WebppoPolicy":
        from .model import WebppoPolicy
        return WebppoPolicy
    if name in ("load_policy", "save_checkpoint", "webppo_config", "read_checkpoint", "CheckpointError"):
        from . import checkpoint
        return getattr(checkpoint, name)
    raise AttributeError(name)
