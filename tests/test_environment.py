"""Set-up: the pip pins and the conda environment agree, and CI runs the README's command."""

import re
import tomllib

import yaml
from conftest import REPO


def pip_pins() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return set(project["dependencies"]) | set(project["optional-dependencies"]["test"])


def conda_pins() -> set[str]:
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_sections = [item["pip"] for item in environment["dependencies"] if isinstance(item, dict)]
    assert len(pip_sections) == 1
    return set(pip_sections[0])


def test_pyproject_and_environment_yml_list_the_same_pins():
    assert pip_pins() == conda_pins()


def test_every_dependency_is_pinned():
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9A-Za-z.]+", pin) for pin in pip_pins())


def test_required_packages_are_listed():
    names = {pin.split("==")[0].lower() for pin in pip_pins()}
    assert {"snakemake", "gmsh", "meshio", "scikit-fem", "pypardiso", "pandas", "xarray", "netcdf4", "seaborn"} <= names


def test_ci_runs_make_test():
    assert "make test" in (REPO / ".ci" / "run").read_text()
