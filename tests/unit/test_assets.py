"""Asset folders (migrations, emails) resolve the same way from a checkout and from an installed wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cohort import config
from cohort.config import Settings, asset_dir

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ("migrations", "emails")


def test_the_wheel_bundles_every_asset_where_asset_dir_looks() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    bundled = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert bundled == {name: f"cohort/_assets/{name}" for name in ASSETS}
    assert config.PACKAGED_ASSETS == ROOT / "src" / "cohort" / "_assets"


@pytest.mark.parametrize("name", ASSETS)
def test_a_source_checkout_uses_the_repository_folder(name: str) -> None:
    assert asset_dir(name) == ROOT / name
    assert asset_dir(name).is_dir()


@pytest.mark.parametrize("name", ASSETS)
def test_an_installed_package_uses_its_bundled_copy(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / name).mkdir()
    monkeypatch.setattr(config, "PACKAGED_ASSETS", tmp_path)
    assert asset_dir(name) == tmp_path / name


def test_settings_read_the_folders_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COHORT_MIGRATIONS_DIR", str(tmp_path / "m"))
    monkeypatch.setenv("COHORT_EMAILS_DIR", str(tmp_path / "e"))
    settings = Settings.from_env()
    assert (settings.migrations_dir, settings.emails_dir) == (tmp_path / "m", tmp_path / "e")
    monkeypatch.delenv("COHORT_MIGRATIONS_DIR")
    monkeypatch.delenv("COHORT_EMAILS_DIR")
    assert Settings.from_env().migrations_dir == ROOT / "migrations"
