"""The JSON bodies of the local Zenodo, in the shapes Zenodo's legacy deposit API and records API answer with.

Zenodo's quirks kept on purpose, because clients meet them on the real service: `conceptrecid` is a
string while `id` and `record_id` are numbers; deposition files carry a bare md5 `checksum` and
`filename`/`filesize`, bucket objects and record files carry `"md5:<hex>"` and `key`/`size`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from api.dev_zenodo.deposit import Deposits, doi
from api.dev_zenodo.state import Deposition, StoredFile


class Shapes:
    def __init__(self, deposits: Deposits, base: str) -> None:
        self.deposits = deposits
        self.base = base.rstrip("/")

    def api(self, path: str) -> str:
        return f"{self.base}/api{path}"

    def deposit_file(self, dep: Deposition, f: StoredFile) -> dict[str, Any]:
        download = (
            self.api(f"/records/{dep.id}/files/{quote(f.key, safe='')}/content")
            if dep.record is not None
            else self.api(f"/files/{dep.bucket}/{quote(f.key, safe='')}")
        )
        return {
            "id": f.id,
            "filename": f.key,
            "filesize": f.size,
            "checksum": f.md5,
            "links": {"self": self.api(f"/deposit/depositions/{dep.id}/files/{f.id}"), "download": download},
        }

    def bucket_object(self, dep: Deposition, f: StoredFile) -> dict[str, Any]:
        url = self.api(f"/files/{dep.bucket}/{quote(f.key, safe='')}")
        return {
            "key": f.key,
            "mimetype": "application/octet-stream",
            "checksum": f"md5:{f.md5}",
            "version_id": f.id,
            "size": f.size,
            "created": f.created,
            "updated": f.created,
            "is_head": True,
            "delete_marker": False,
            "links": {"self": url, "version": f"{url}?versionId={f.id}", "uploads": f"{url}?uploads"},
        }

    def deposition(self, dep: Deposition) -> dict[str, Any]:
        files = self.deposits.store.files(dep.id)
        meta = dep.metadata
        meta["prereserve_doi"] = {"doi": doi(dep.id), "recid": dep.id}
        dep_api = self.api(f"/deposit/depositions/{dep.id}")
        draft = self.deposits.open_draft(dep) if dep.record is not None else dep
        latest_draft = draft if draft is not None else dep
        links = {
            "self": dep_api,
            "html": f"{self.base}/deposit/{dep.id}",
            "files": f"{dep_api}/files",
            "bucket": self.api(f"/files/{dep.bucket}"),
            "latest_draft": self.api(f"/deposit/depositions/{latest_draft.id}"),
            "latest_draft_html": f"{self.base}/deposit/{latest_draft.id}",
            "publish": f"{dep_api}/actions/publish",
            "edit": f"{dep_api}/actions/edit",
            "discard": f"{dep_api}/actions/discard",
            "newversion": f"{dep_api}/actions/newversion",
        }
        body: dict[str, Any] = {
            "created": dep.created,
            "modified": dep.modified,
            "id": dep.id,
            "conceptrecid": str(dep.concept),
            "metadata": meta,
            "title": meta.get("title", ""),
            "links": links,
            "record_id": dep.id,
            "owner": dep.owner,
            "files": [self.deposit_file(dep, f) for f in files],
            "state": dep.state,
            "submitted": dep.record is not None,
        }
        if dep.record is not None:
            published_doi = str(dep.record.get("doi") or doi(dep.id))
            latest = self.deposits.latest_published(dep) or dep
            body["doi"] = published_doi
            body["doi_url"] = f"https://doi.org/{published_doi}"
            body["conceptdoi"] = doi(dep.concept)
            links.update({
                "html": f"{self.base}/records/{dep.id}",
                "record": self.api(f"/records/{dep.id}"),
                "record_html": f"{self.base}/records/{dep.id}",
                "doi": f"https://doi.org/{published_doi}",
                "conceptdoi": f"https://doi.org/{doi(dep.concept)}",
                "latest": self.api(f"/records/{latest.id}"),
                "latest_html": f"{self.base}/records/{latest.id}",
            })  # fmt: skip
        return body

    def record_file(self, dep: Deposition, f: StoredFile) -> dict[str, Any]:
        content = self.api(f"/records/{dep.id}/files/{quote(f.key, safe='')}/content")
        return {"id": f.id, "key": f.key, "size": f.size, "checksum": f"md5:{f.md5}",
                "links": {"self": content, "content": content}}  # fmt: skip

    def record_files(self, dep: Deposition) -> dict[str, Any]:
        """zenodo-rdm's files listing of a record."""
        entries = [self.record_file(dep, f) for f in self.deposits.store.files(dep.id)]
        return {"enabled": True, "entries": entries, "links": {"self": self.api(f"/records/{dep.id}/files")}}

    def versions(self, dep: Deposition) -> dict[str, Any]:
        """zenodo-rdm's versions search of a record: every published version, newest first."""
        published = [v for v in self.deposits.store.concept_versions(dep.concept) if v.record is not None]
        hits = [self.record(v) for v in reversed(published)]
        return {
            "hits": {"hits": hits, "total": len(hits)},
            "links": {"self": self.api(f"/records/{dep.id}/versions")},
        }

    def record(self, dep: Deposition) -> dict[str, Any]:
        assert dep.record is not None
        published = [v for v in self.deposits.store.concept_versions(dep.concept) if v.record is not None]
        index = next(i for i, v in enumerate(published) if v.id == dep.id)
        latest = published[-1]
        meta = dict(dep.record)
        meta["relations"] = {
            "version": [{
                "index": index,
                "is_last": latest.id == dep.id,
                "parent": {"pid_type": "recid", "pid_value": str(dep.concept)},
                "count": len(published),
                "last_child": {"pid_type": "recid", "pid_value": str(latest.id)},
            }]
        }  # fmt: skip
        record_doi = str(dep.record.get("doi") or doi(dep.id))
        files = self.deposits.store.files(dep.id)
        return {
            "created": dep.published,
            "modified": dep.modified,
            "updated": dep.modified,
            "id": dep.id,
            "recid": str(dep.id),
            "conceptrecid": str(dep.concept),
            "doi": record_doi,
            "conceptdoi": doi(dep.concept),
            "doi_url": f"https://doi.org/{record_doi}",
            "metadata": meta,
            "title": meta.get("title", ""),
            "links": {
                "self": self.api(f"/records/{dep.id}"),
                "html": f"{self.base}/records/{dep.id}",
                "doi": f"https://doi.org/{record_doi}",
                "parent_doi": f"https://doi.org/{doi(dep.concept)}",
                "files": self.api(f"/records/{dep.id}/files"),
                "latest": self.api(f"/records/{latest.id}"),
                "latest_html": f"{self.base}/records/{latest.id}",
                "versions": self.api(f"/records/{dep.id}/versions"),
            },
            "files": [self.record_file(dep, f) for f in files],
            "owners": [{"id": dep.owner}],
            "state": "done",
            "submitted": True,
            "status": "published",
        }
