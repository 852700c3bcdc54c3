"""Documentation tested against code (after datasette): commands, pages, profile fields, links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import PAGES
from cli.main import build_parser
from questionnaires import get_questionnaire

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, list[str]]]:
    parser = build_parser()
    out = []
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            subs = [c for a in sub._actions if isinstance(getattr(a, "choices", None), dict) for c in a.choices]
            out.append((name, subs))
    return out


@pytest.mark.parametrize(("command", "subcommands"), _commands())
def test_every_command_is_in_the_readme(command: str, subcommands: list[str]) -> None:
    lines = [ln for ln in README.splitlines() if ln.startswith(f"aigov {command}")]
    assert lines, f"README's command list lacks `aigov {command}`"
    for sub in subcommands:
        assert any(re.search(rf"\b{re.escape(sub)}\b", ln) for ln in lines), f"README lacks `aigov {command} {sub}`"


def test_every_readme_link_exists() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), f"README links to missing {target}"


def test_pages_have_unique_paths_and_files() -> None:
    paths = [p.url_path for p in PAGES]
    assert len(paths) == len(set(paths))
    for p in PAGES:
        assert (ROOT / "app_pages" / p.file).exists(), p.file


def test_profile_fields_and_presets_are_documented() -> None:
    doc = (ROOT / "docs" / "questionnaire.md").read_text(encoding="utf-8")
    q = get_questionnaire()
    for field in q.profile.fields:
        assert f"`{field.id}`" in doc, field.id
    for preset in q.targets.presets:
        assert preset.id in doc, preset.id


def test_every_benchmark_is_reported_in_the_readme() -> None:
    section = README.split("## Performance", 1)[1]
    for module in sorted((ROOT / "perf").glob("bench_*.py")):
        assert module.stem.removeprefix("bench_") in section, f"README performance lacks {module.stem}"


def test_make_serve_migrates_and_serves_without_ever_seeding_the_demo() -> None:
    import subprocess

    serve = subprocess.run(["make", "-n", "serve"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "aigov db upgrade" in serve and "streamlit run app.py" in serve
    assert "demo" not in serve  # the published demo passwords never reach a real installation
    run = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "aigov demo --if-empty" in run
    assert "make serve" in README and "AIGOV_DATA_DIR" in README and "Python ≥ 3.11" in README
    for package in ("python3-venv", "chromium", "fonts-noto-cjk", "postgresql"):
        assert package in README, package


def test_the_first_steps_name_the_pages_as_the_app_does() -> None:
    from i18n import t

    steps = README[README.index("**First steps in the app**"):README.index("### Other systems")]
    for key in ("nav.profile", "nav.members", "nav.assessments", "nav.questionnaire", "nav.results",
                "nav.import_export", "nav.association", "nav.peers"):
        assert f"**{t(key, 'zh')} / {t(key, 'en')}**" in steps or f"**{t(key, 'zh')}**" in steps, key
