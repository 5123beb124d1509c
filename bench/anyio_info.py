"""Which AnyIO and trio the benchmark measured: shared by anyio_bench.py and anyio_workers.py.

AnyIO is often run from a source tree (PYTHONPATH / ANYIO_SRC_DIR) next to an older installed
package (Debian ships 3.6): importlib.metadata would then name the installed one, or nothing. So
the version is read for the module that was actually imported: its distribution's metadata when
the distribution's files are the imported ones, else ANYIO_VERSION, else `git describe` of the
source tree, else its pyproject's static version.
"""

from __future__ import annotations

import os
import re
import subprocess
from importlib import metadata
from pathlib import Path
from types import ModuleType

# AnyIO 4.14's trio backend needs trio >= 0.32 (older ones fail on import or mid-run).
MIN_TRIO = (0, 32)


def _installed_version(name: str, module: ModuleType) -> str | None:
    """The metadata version of `name` if its distribution holds `module`'s own file."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    try:
        located = Path(str(dist.locate_file(f"{name}/__init__.py"))).resolve()
        if module.__file__ is not None and located == Path(module.__file__).resolve():
            return dist.version
    except (OSError, TypeError, ValueError):
        pass
    return None


def _source_root(module: ModuleType) -> Path | None:
    if module.__file__ is None:
        return None
    pkg = Path(module.__file__).resolve().parent
    for parent in [pkg.parent, *pkg.parent.parents][:3]:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def _git_describe(path: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(path), "describe", "--tags"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        return out or None
    except (OSError, subprocess.SubprocessError):
        return None


def _pyproject_version(root: Path) -> str | None:
    try:
        text = (root / "pyproject.toml").read_text()
    except OSError:
        return None
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return m.group(1) if m else None


def module_version(name: str, module: ModuleType, env_var: str | None = None) -> tuple[str, str]:
    """(version, where) of an imported module; `where` is "installed" or "source <dir>"."""
    installed = _installed_version(name, module)
    if installed is not None:
        return installed, "installed"
    root = _source_root(module)
    where = f"source {root}" if root is not None else f"source {Path(module.__file__ or '?').parent}"
    if env_var is not None and os.environ.get(env_var):
        return os.environ[env_var], where
    if root is not None:
        for found in (_git_describe(root), _pyproject_version(root)):
            if found:
                return found.removeprefix("v"), where
    version = getattr(module, "__version__", None)
    return (str(version) if version else "unknown"), where


def anyio_version() -> tuple[str, str]:
    import anyio

    return module_version("anyio", anyio, "ANYIO_VERSION")


def trio_status() -> tuple[str | None, str | None]:
    """(trio's version or None, a reason to skip the trio backend or None)."""
    try:
        import trio
    except ImportError:
        return None, "trio is not installed"
    version, _ = module_version("trio", trio, "TRIO_VERSION")
    m = re.match(r"v?(\d+)\.(\d+)", version)
    if m is None:
        return version, None
    if (int(m.group(1)), int(m.group(2))) < MIN_TRIO:
        return version, f"trio {version} < {MIN_TRIO[0]}.{MIN_TRIO[1]} (AnyIO 4.x needs a newer trio)"
    return version, None
