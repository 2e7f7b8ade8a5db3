"""Reading audit logs (the hub's and each site's are SQLite tables with `at` and `user` columns)."""

from __future__ import annotations

from typing import Any


def audit_select(
    table: str, names: tuple[str, ...], since: float | None, user: str | None
) -> tuple[str, list[Any]]:
    """The SELECT of an audit log (hub or site) since a time and for a user; names are constants."""
    sql = f"SELECT {', '.join(names)} FROM {table} WHERE 1=1"
    params: list[Any] = []
    if since is not None:
        sql += " AND at >= ?"
        params.append(since)
    if user is not None:
        sql += " AND user = ?"
        params.append(user)
    return sql + " ORDER BY at", params
