"""Test double of the Hugging Face hub for tests without internet: a static folder that a plain HTTP server
(python -m http.server) serves with the two paths fetch_source reads, /api/models/<id>/revision/<rev> (the
listing, with each weight file's sha256 and size as the hub gives them) and /<id>/resolve/<rev>/<file>.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path


def publish_model(root: Path, folder: Path, model_id: str, revision: str = "main") -> Path:
    """Lay out the model folder under root as the hub serves it; returns the listing file."""
    resolve = root / model_id / "resolve" / revision
    resolve.mkdir(parents=True, exist_ok=True)
    siblings = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        shutil.copyfile(path, resolve / path.name)
        entry = {"rfilename": path.name, "size": path.stat().st_size}
        if path.suffix == ".safetensors":  # the hub lists LFS files with their sha256
            entry["lfs"] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "size": path.stat().st_size}
        siblings.append(entry)
    siblings.append({"rfilename": "README.md", "size": 0})  # listed by the hub, not fetched
    listing = root / "api" / "models" / model_id / "revision" / revision
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text(json.dumps({"id": model_id, "sha": "0" * 40, "siblings": siblings}))
    return listing
