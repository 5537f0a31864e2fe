"""Type stubs of the compiled module `mixsig._native` (the Rust bindings). The public API is
re-exported by `mixsig`; the `*_json` functions are wrapped there."""

from os import PathLike
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__version__: str

Quantity = Union[float, str]

class MixsigError(Exception):
    """An error of mixsig; the message is the one the `mixsig` CLI prints for the same input."""

def builtin_profiles() -> List[str]: ...
def profile_info(name_or_path: str) -> Tuple[str, str]: ...

class Chip:
    """One die of a chip profile: per-device parameters as NumPy arrays."""

    @staticmethod
    def sample(profile: str = "dynapse2", instance: int = 0) -> Chip: ...
    @staticmethod
    def load(path: Union[str, PathLike[str]], profile: str = "dynapse2") -> Chip: ...
    @property
    def profile(self) -> str: ...
    @property
    def instance(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def shape(self) -> Tuple[int, int, int]: ...
    @staticmethod
    def param_names() -> List[str]: ...
    @staticmethod
    def mismatched_params() -> List[str]: ...
    def params(self) -> Dict[str, np.ndarray]: ...
    def weight_factors(self) -> np.ndarray: ...
    def device_stats(self) -> List[Dict[str, Any]]: ...
    def cores(self) -> List[Dict[str, Any]]: ...
    def to_toml(self) -> str: ...
    def save(self, path: Union[str, PathLike[str]]) -> None: ...

class Network:
    """A parsed network (TOML file format of docs/network-format.md)."""

    @staticmethod
    def from_toml(
        text: str, name: str = "<string>", base: Optional[Union[str, PathLike[str]]] = None
    ) -> Network: ...
    @staticmethod
    def load(path: Union[str, PathLike[str]]) -> Network: ...
    @staticmethod
    def from_dict(
        d: Dict[str, Any], name: str = "<dict>", base: Optional[Union[str, PathLike[str]]] = None
    ) -> Network: ...
    @staticmethod
    def example() -> Network: ...
    @property
    def name(self) -> str: ...
    @property
    def toml(self) -> str: ...
    @property
    def populations(self) -> List[Tuple[str, int]]: ...
    @property
    def sources(self) -> List[Tuple[str, int]]: ...
    @property
    def settings(self) -> Tuple[Optional[float], Optional[float], Optional[int]]: ...
    @property
    def chip(self) -> Tuple[Optional[str], Optional[int]]: ...

def simulate(
    network: Network,
    duration: Optional[Quantity] = None,
    dt: Optional[Quantity] = None,
    seed: Optional[int] = None,
    profile: Optional[str] = None,
    instance: Optional[int] = None,
    instance_file: Optional[Union[str, PathLike[str]]] = None,
    out: Optional[Union[str, PathLike[str]]] = None,
) -> Dict[str, Any]: ...
def fi_json(
    model: str = "physical",
    set: Optional[Dict[str, Quantity]] = None,
    idc: Optional[Sequence[Quantity]] = None,
    dt: Optional[Quantity] = None,
    duration: Optional[Quantity] = None,
    profile: Optional[str] = None,
    instance: Optional[int] = None,
    instances: Optional[int] = None,
    out: Optional[Union[str, PathLike[str]]] = None,
) -> str: ...
def train_json(
    pattern: Optional[str] = None,
    data: Optional[Union[str, PathLike[str]]] = None,
    profile: Optional[str] = "dynapse2",
    instance: int = 0,
    seed: int = 1,
    presentations: int = 200,
    feedback: str = "mirrored",
    storage: str = "analog",
    n_test: Optional[int] = None,
    test_every: int = 50,
    dt: Optional[Quantity] = None,
    no_hidden: bool = False,
    eta_sigma: Optional[float] = None,
    calibrate: bool = False,
    eta_decay: Optional[float] = None,
    out: Optional[Union[str, PathLike[str]]] = None,
    duration: Optional[Quantity] = None,
) -> str: ...
def sweep_plan(plan_json: str) -> Tuple[str, int]: ...
def sweep_experiment(
    experiment: str = "train",
    pattern: str = "order",
    presentations: int = 200,
    n_test: int = 10,
    seed: int = 1,
    feedback: str = "mirrored",
    storage: str = "analog",
    idc: Optional[Quantity] = None,
    set: Optional[Dict[str, Quantity]] = None,
    duration: Optional[Quantity] = None,
    dt: Optional[Quantity] = None,
    population: Optional[str] = None,
) -> Tuple[str, Optional[float]]: ...
def sweep_run(
    plan_json: str,
    out: Union[str, PathLike[str]],
    workflow: str = "robustness",
    shard: Optional[str] = None,
    resume: bool = False,
    command: str = "python: mixsig",
) -> str: ...
def sweep_merge(
    dirs: Sequence[Union[str, PathLike[str]]],
    out: Union[str, PathLike[str]],
    workflow: str = "robustness",
    command: str = "python: mixsig",
) -> str: ...
def dict_to_toml(d: Dict[str, Any]) -> str: ...
def tune_json(
    path: Optional[Union[str, PathLike[str]]] = None,
    text: Optional[str] = None,
    name: str = "<targets>",
    profile: str = "dynapse2",
    dies: int = 64,
    first_die: int = 0,
    neurons: int = 32,
    rate_duration: Optional[Quantity] = None,
    out: Optional[Union[str, PathLike[str]]] = None,
    command: str = "python: mixsig.tune",
) -> str: ...
