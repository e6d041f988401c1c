"""`linli staff add --role street`: a street-office account overseeing several communities."""

from __future__ import annotations

from bot.config import Settings
from tests.cli.test_commands import run
from tests.conftest import db_rows


def test_a_street_office_account_is_given_its_communities(settings: Settings) -> None:
    for code, name in (("hexie", "和谐社区"), ("qinghe", "清河村"), ("other", "别处社区")):
        assert run(settings, "community", "add", code, name).returncode == 0
    out = run(settings, "staff", "add", "jiedao", "--role", "street", "--community", "hexie", "--community", "qinghe",
              "--password", "a-long-password")
    assert out.returncode == 0, out.stderr
    rows = db_rows(settings.database_url,
                   "SELECT s.username, s.role, s.community_id, c.code FROM staff_users s "
                   "JOIN staff_communities sc ON sc.staff_id = s.id JOIN communities c ON c.id = sc.community_id "
                   "ORDER BY c.code")
    assert [tuple(r) for r in rows] == [("jiedao", "street", None, "hexie"), ("jiedao", "street", None, "qinghe")]
    alone = run(settings, "staff", "add", "nobody", "--role", "street", "--password", "a-long-password")
    two = run(settings, "staff", "add", "wang", "--community", "hexie", "--community", "qinghe",
              "--password", "a-long-password")
    assert alone.returncode != 0 and two.returncode != 0 and "--role street" in two.stderr
    assert [r[0] for r in db_rows(settings.database_url, "SELECT username FROM staff_users")] == ["jiedao"]
