"""Where the project lives: the folder holding ``cft/disa-root-stack.yaml``.

Found by walking up from the working directory (like git finds ``.git``), else the checkout
that contains this package; ``--project-dir`` overrides both. Local state (packaged
templates, manifests, the emulator's pid) goes under ``<root>/.disa/<env>/``, git-ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deployer.errors import ConfigError

ROOT_TEMPLATE = Path("cft/disa-root-stack.yaml")
ARTIFACT_STORE_TEMPLATE = Path("cft/artifact-store-stack.yaml")
DEPLOYER_ROLE_TEMPLATE = Path("cft/deployer-role-stack.yaml")
STATE_DIR = ".disa"


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def root_template(self) -> Path:
        return self.root / ROOT_TEMPLATE

    @property
    def artifact_store_template(self) -> Path:
        return self.root / ARTIFACT_STORE_TEMPLATE

    @property
    def deployer_role_template(self) -> Path:
        return self.root / DEPLOYER_ROLE_TEMPLATE

    def state_dir(self, env: str) -> Path:
        return self.root / STATE_DIR / env

    def require(self, path: Path) -> Path:
        if not path.is_file():
            raise ConfigError(
                f"{path} does not exist",
                hint="run from the project checkout or pass --project-dir",
            )
        return path


def find_project(start: Path, override: Path | None = None) -> Project:
    if override is not None:
        if not (override / ROOT_TEMPLATE).is_file():
            raise ConfigError(f"--project-dir {override}: no {ROOT_TEMPLATE} there")
        return Project(override.resolve())
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / ROOT_TEMPLATE).is_file():
            return Project(folder)
    return Project(Path(__file__).resolve().parents[2])
