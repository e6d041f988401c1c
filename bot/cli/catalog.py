"""`linli catalog …`: validate, list, export to and import from a spreadsheet.

Staff keep the catalog in Excel or WPS; these commands move it between the spreadsheet and the YAML
files and say in plain Chinese what to fix. Problems go to stderr and the exit code is 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import click

from bot.cli.base import catalog, pass_settings
from bot.config import Settings
from bot.errors import DataValidationError
from knowledge.loader import Catalog, display_path, load_catalog, load_communities
from knowledge.schema import CommunitySettings


def _fail(exc: DataValidationError) -> None:
    click.echo(str(exc), err=True)
    raise SystemExit(1)


def _communities(settings: Settings) -> Mapping[str, CommunitySettings]:
    directory = Path(settings.communities_dir)
    return load_communities(directory) if directory.is_dir() else {}


def _load(settings: Settings, catalog_dir: Path | None = None) -> Catalog:
    return load_catalog(Path(catalog_dir or settings.catalog_dir), _communities(settings))


@catalog.command("validate")
@click.argument("catalog_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_settings
def validate_cmd(settings: Settings, catalog_dir: Path | None) -> None:
    """Check the catalog files (and community settings); list every problem."""
    try:
        found = _load(settings, catalog_dir)
    except DataValidationError as exc:
        _fail(exc)
    click.echo(f"目录校验通过：{len(found)} 项服务")


@catalog.command("list")
@click.option("--json", "as_json", is_flag=True, help="只输出 JSON 数组 / print only a JSON array")
@pass_settings
def list_cmd(settings: Settings, as_json: bool) -> None:
    """List the services: id, name, kind, domain."""
    try:
        found = _load(settings)
    except DataValidationError as exc:
        _fail(exc)
    rows = [{"id": s.id, "name": s.name, "kind": s.kind, "domain": s.domain} for s in found]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']:<34} {r['kind']:<12} {r['domain']:<6} {r['name']}")
    click.echo(f"共 {len(rows)} 项服务")


@catalog.command("export")
@click.option("--out", "out", default="catalog.xlsx", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="输出文件，.xlsx 或 .csv")
@pass_settings
def export_cmd(settings: Settings, out: Path) -> None:
    """Write the catalog to a spreadsheet, one row per service."""
    from knowledge.spreadsheet import export_catalog

    if out.suffix.lower() not in (".xlsx", ".csv"):
        click.echo("输出文件只能是 .xlsx 或 .csv", err=True)
        raise SystemExit(1)
    try:
        found = _load(settings)
    except DataValidationError as exc:
        _fail(exc)
    export_catalog(found.services, out)
    click.echo(f"已导出 {len(found)} 项服务到 {display_path(out)}")


@catalog.command("import")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="写入的目录（默认为服务目录 CATALOG_DIR）")
@pass_settings
def import_cmd(settings: Settings, sheet: Path, out_dir: Path | None) -> None:
    """Read a spreadsheet back, check every row, and write the catalog YAML files."""
    from knowledge.spreadsheet import import_sheet, write_catalog

    target = Path(out_dir or settings.catalog_dir)
    try:
        communities = _communities(settings)
        services = import_sheet(sheet, communities)
        target.mkdir(parents=True, exist_ok=True)
        written = write_catalog(services, target, communities)
    except DataValidationError as exc:
        _fail(exc)
    click.echo(f"表格校验通过：{len(services)} 项服务")
    for path in written:
        click.echo(f"已写入 {display_path(path)}")
    if not written:
        click.echo("目录内容没有变化，没有改动文件")
