# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the SFT model and data come from: validation of ``model=`` and the data source, and the downloads
(the Stanford Alpaca JSON from its URL or a mirror, Hugging Face weights from the hub or a hub mirror).

Standard library only, so the same code runs on the control node (``h200_model_fetch: master``) and on the
nodes (``node``). Every download goes to a temporary name next to its target, is checked (size, checksum,
JSON), and only then renamed into place: a half-downloaded file or model folder is never used. The Hugging
Face token travels only in the ``Authorization`` header of requests to the hub endpoint; no message of this
module includes it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import shutil
import tempfile

from urllib.error import HTTPError, URLError
from urllib.parse import quote

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url

# what open_url raises for a server that cannot be used (URLError and HTTPError are OSErrors)
_READ_ERRORS = (IOError, OSError, ValueError, UrlsConnectionError, SSLValidationError)

# A Hugging Face repository id: owner/name, letters, digits, "-", "_", "." (the hub's own rule: no "--" or ".."
# and no leading or trailing "-" or "." in a part), at most 96 characters per part.
_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
HUB_ID = re.compile(r"^%s/%s\Z" % (_HUB_PART, _HUB_PART))
# An absolute local path: no spaces, quotes or shell characters, no ".." component.
LOCAL_PATH = re.compile(r"^/[A-Za-z0-9_.+=@,/-]*\Z")
URL = re.compile(r"^https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+\Z")
CHECKSUM = re.compile(r"^(sha256:[0-9a-f]{64}|git-sha1:[0-9a-f]{40})\Z")
DATA_SOURCES = ("synth", "alpaca")
# The model files a run needs (the hub lists far more: other formats, READMEs, images).
_MODEL_FILE = re.compile(r"^(config\.json|generation_config\.json|tokenizer(_config)?\.json|tokenizer\.model|"
                         r"special_tokens_map\.json|added_tokens\.json|.*\.safetensors|.*\.safetensors\.index\.json)$")
_BIN_FILE = re.compile(r"^(pytorch_model.*\.bin|pytorch_model\.bin\.index\.json)$")
MANIFEST = ".h200-model.json"
CHUNK = 1 << 20


class SourceError(Exception):
    """A source that cannot be used; the message names the variable that chose it."""


# ------------------------------------------------------------------------------------------------ validation
def model_kind(model, shapes):
    """``shape`` (a named, randomly initialised shape), ``path`` (a local Hugging Face-format folder on every
    node) or ``hub`` (a Hugging Face id); None when ``model`` is none of them."""
    model = "" if model is None else str(model)
    if model in shapes:
        return "shape"
    if LOCAL_PATH.match(model) and ".." not in model.split("/"):
        return "path"
    if HUB_ID.match(model) and ".." not in model and "--" not in model:
        return "hub"
    return None


def model_error(model, shapes):
    """The message that rejects ``model``, or an empty string."""
    if model_kind(model, shapes):
        return ""
    return ("model=%s is not accepted: give a shape (%s), a Hugging Face id owner/name (e.g. "
            "meta-llama/Llama-2-7b-hf: letters, digits, '-', '_' and '.'), or the absolute path of a local Hugging "
            "Face-format model folder on every node" % (model, ", ".join(shapes)))


def hub_cache_name(model):
    """The folder name of a hub model in a cache (the hub's own convention: models--owner--name)."""
    return "models--" + model.replace("/", "--")


def data_source_error(source):
    if source in DATA_SOURCES or (LOCAL_PATH.match(str(source)) and ".." not in str(source).split("/")):
        return ""
    return ("h200_sft_data_source=%s is not accepted: give synth (generated Alpaca-format records), alpaca (the "
            "Stanford Alpaca JSON from h200_sft_alpaca_url, fetched once and copied to every node) or the "
            "absolute path of an Alpaca-format JSON file on every node" % (source,))


def url_or_path_error(value, variable):
    value = "" if value is None else str(value)
    if URL.match(value) or (LOCAL_PATH.match(value) and ".." not in value.split("/")):
        return ""
    return "%s=%s is not accepted: give an http(s) URL or an absolute path on the control node" % (variable, value)


def checksum_error(value, variable, optional=True):
    if (optional and not value) or CHECKSUM.match(str(value or "")):
        return ""
    return ("%s=%s is not accepted: give sha256:<64 hex digits> or git-sha1:<40 hex digits> (the file's git blob "
            "id)%s" % (variable, value, ", or leave it empty" if optional else ""))


def source_errors(model, shapes, **inputs):
    """Every message that rejects ``model`` and the data and fetch inputs (keyword arguments named as their
    variables: h200_sft_data_source, h200_sft_alpaca_url, ...); an empty list when all are accepted."""
    inputs["model"] = model
    errors = [model_error(inputs.get("model"), shapes), data_source_error(inputs.get("h200_sft_data_source"))]
    if inputs.get("h200_sft_data_source") == "alpaca":
        errors.append(url_or_path_error(inputs.get("h200_sft_alpaca_url"), "h200_sft_alpaca_url"))
        errors.append(checksum_error(inputs.get("h200_sft_alpaca_checksum"), "h200_sft_alpaca_checksum"))
    if model_kind(inputs.get("model"), shapes) == "hub":
        if not URL.match(str(inputs.get("h200_model_hub_endpoint") or "")):
            errors.append("h200_model_hub_endpoint=%s is not accepted: give the http(s) URL of the Hugging Face hub "
                          "or of a mirror of it" % (inputs.get("h200_model_hub_endpoint"),))
        if not re.match(r"^[A-Za-z0-9._/-]{1,200}\Z", str(inputs.get("h200_model_revision") or "")):
            errors.append("h200_model_revision=%s is not accepted: give a branch, tag or commit of the model's "
                          "repository (letters, digits, '.', '_', '-', '/')" % (inputs.get("h200_model_revision"),))
        if inputs.get("h200_model_fetch") not in ("master", "node"):
            errors.append("h200_model_fetch=%s is not accepted: give master (fetched once on the control node, then "
                          "copied to every node) or node (each node fetches it)" % (inputs.get("h200_model_fetch"),))
    tokenizer = str(inputs.get("h200_sft_tokenizer") or "")
    if model_kind(inputs.get("model"), shapes) in ("hub", "path") and tokenizer != "auto":
        errors.append("h200_sft_tokenizer=%s is not accepted with model=%s: a real model is trained with its own "
                      "tokenizer; leave h200_sft_tokenizer at auto" % (tokenizer, inputs.get("model")))
    elif tokenizer != "auto" and not re.match(r"^(train-bpe:[0-9]+|[A-Za-z0-9_./-]+)\Z", tokenizer):
        errors.append("h200_sft_tokenizer=%s is not accepted: give auto, train-bpe:VOCAB, a Hugging Face tokenizer id "
                      "or an absolute path" % (tokenizer,))
    return [e for e in errors if e]


def sft_paths(model, shapes, tokenizer, node_dir, seq_len, data_source, synth_records):
    """Where the SFT inputs live on every node: {model_kind, model_path (sft.py's --model), tokenizer (the
    model's own folder for a real model; train-bpe:8000 for a shape when "auto"), data_file (the Alpaca-format
    JSON), data_dir (the prepared data of that tokenizer and seq len)}."""
    kind = model_kind(model, shapes)
    model_path = node_dir + "/models/" + hub_cache_name(model) if kind == "hub" else model
    if kind in ("hub", "path"):
        tokenizer = model_path
    elif tokenizer == "auto":
        tokenizer = "train-bpe:8000"
    if data_source == "synth":
        data_file = "%s/data/alpaca_synth-%s.json" % (node_dir, synth_records)
    elif data_source == "alpaca":
        data_file = node_dir + "/data/alpaca_data.json"
    else:
        data_file = data_source
    return {"model_kind": kind, "model_path": model_path, "tokenizer": tokenizer, "data_file": data_file,
            "data_dir": "%s/data/%s-%s" % (node_dir, re.sub(r"[^A-Za-z0-9_.-]", "_", tokenizer), seq_len)}


# ------------------------------------------------------------------------------------------------ checksums
def file_checksum(path, algorithm):
    """``sha256`` of the file, or ``git-sha1``: the git blob id (sha1 of "blob <size>\\0" + content), which a
    repository publishes for every file it holds."""
    digest = hashlib.sha256() if algorithm == "sha256" else hashlib.sha1()
    if algorithm == "git-sha1":
        digest.update(b"blob %d\0" % os.path.getsize(path))
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return "%s:%s" % (algorithm, digest.hexdigest())


def checksum_matches(path, expected):
    """(whether the file has the expected checksum, its checksum in the same algorithm)."""
    actual = file_checksum(path, expected.split(":", 1)[0])
    return actual == expected, actual


# ------------------------------------------------------------------------------------------------ downloads
def _open(source, headers, timeout):
    if source.startswith(("http://", "https://")):
        return open_url(source, headers=headers, timeout=timeout)
    return open(source, "rb")


def _describe_error(exc):
    if isinstance(exc, HTTPError):
        return "HTTP %s %s" % (exc.code, exc.reason)
    if isinstance(exc, URLError):
        return "unreachable (%s)" % (exc.reason,)
    return "%s: %s" % (type(exc).__name__, exc)


def download(source, dest, variable, checksum=None, size=None, headers=None, timeout=60):
    """Copy ``source`` (an http(s) URL or a local path) to ``dest`` through a temporary file in the same folder,
    checking its size and checksum before the rename; returns the file's sha256. Raises SourceError naming
    ``variable``; the temporary file is removed on every failure."""
    folder = os.path.dirname(dest) or "."
    if not os.path.isdir(folder):
        os.makedirs(folder)
    handle, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".partial-", dir=folder)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:
            try:
                with _open(source, headers or {}, timeout) as response:
                    for chunk in iter(lambda: response.read(CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except _READ_ERRORS as exc:
                raise SourceError("%s: %s could not be read: %s" % (variable, source, _describe_error(exc))) from None
            out.flush()
            os.fsync(out.fileno())
        got = os.path.getsize(tmp)
        if size is not None and got != size:
            raise SourceError("%s: %s gave %d bytes, %d expected (cut off?)" % (variable, source, got, size))
        if checksum:
            ok, actual = checksum_matches(tmp, checksum)
            if not ok:
                raise SourceError("%s: %s has checksum %s, not %s: wrong file or corrupted download" % (
                    variable, source, actual, checksum))
        os.chmod(tmp, 0o644)
        os.rename(tmp, dest)
        return digest.hexdigest()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def alpaca_records(path, variable, origin=None):
    """The number of records of an Alpaca-format JSON file: a non-empty list of objects whose instruction and
    output (and input, when present) are strings. Raises SourceError naming ``variable`` and ``origin`` (where the
    file came from; default its path)."""
    origin = origin or path
    try:
        with open(path, "rb") as handle:
            records = json.loads(handle.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError("%s: %s is not valid JSON (%s)" % (variable, origin, exc)) from None
    if not isinstance(records, list) or not records:
        raise SourceError("%s: %s is not a non-empty JSON list of Alpaca records" % (variable, origin))
    for index, record in enumerate(records):
        fields = [record.get(k, "") for k in ("instruction", "input", "output")] if isinstance(record, dict) else []
        if not fields or not all(isinstance(f, type(u"")) for f in fields) or "instruction" not in record \
                or "output" not in record:
            raise SourceError("%s: %s record %d is not an Alpaca record (string instruction, output, optional "
                              "input): %s" % (variable, origin, index, json.dumps(record)[:200]))
    return len(records)


def fetch_alpaca(source, dest, checksum, variable="h200_sft_alpaca_url", timeout=60):
    """The Alpaca JSON at ``dest``: reused when it is there with the expected checksum, else downloaded (or
    copied from a mirror path) and checked. With no checksum given, the sha256 of the first download is kept
    beside the file and checked on reuse. Returns {changed, path, sha256, records}."""
    recorded = dest + ".sha256"
    expected = checksum or (("sha256:" + open(recorded).read().strip()) if os.path.isfile(recorded) else None)
    changed = True
    if os.path.isfile(dest) and expected and checksum_matches(dest, expected)[0]:
        changed = False
    else:
        download(source, dest, variable, checksum=checksum, timeout=timeout)
    sha256 = file_checksum(dest, "sha256").split(":", 1)[1]
    try:
        records = alpaca_records(dest, variable, source)
    except SourceError:
        os.unlink(dest)  # never reused: the next run downloads again
        raise
    if changed:
        with open(recorded, "w") as handle:
            handle.write(sha256 + "\n")
    return {"changed": changed, "path": dest, "sha256": sha256, "records": records}


def _hub_json(url, headers, timeout, variable):
    try:
        with open_url(url, headers=headers, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except _READ_ERRORS as exc:
        hint = ""
        if isinstance(exc, HTTPError) and exc.code in (401, 403):
            hint = ": a gated model needs a Hugging Face token (HF_TOKEN on the control node, or h200_hf_token)"
        elif isinstance(exc, HTTPError) and exc.code == 404:
            hint = ": no such model or revision on this hub"
        raise SourceError("%s: %s could not be read: %s%s" % (variable, url, _describe_error(exc), hint)) from None


def model_files(siblings):
    """The files to fetch from a hub listing [{rfilename, size, lfs: {sha256, size}}]: config, tokenizer and
    the safetensors weights (PyTorch .bin weights only when the repository has no safetensors)."""
    names = [s.get("rfilename", "") for s in siblings]
    has_safetensors = any(n.endswith(".safetensors") for n in names)
    picked = []
    for sibling in siblings:
        name = sibling.get("rfilename", "")
        if "/" in name or not (_MODEL_FILE.match(name) or (not has_safetensors and _BIN_FILE.match(name))):
            continue
        lfs = sibling.get("lfs") or {}
        picked.append({"name": name, "size": lfs.get("size", sibling.get("size")),
                       "sha256": lfs.get("sha256") or lfs.get("oid")})
    return picked


def read_manifest(folder):
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as handle:
            return json.load(handle)
    except ValueError:
        return None


def model_problems(folder):
    """What a model folder lacks to be trained from (an empty list when it is complete): config.json, a
    tokenizer, weights; with the fetch's manifest, every file it lists at its size; without it, every shard an
    index names."""
    if not os.path.isdir(folder):
        return ["%s does not exist" % folder]
    names = set(os.listdir(folder))
    problems = []
    if "config.json" not in names:
        problems.append("no config.json")
    if not names & {"tokenizer.json", "tokenizer.model"}:
        problems.append("no tokenizer (tokenizer.json or tokenizer.model)")
    if not any(n.endswith((".safetensors", ".bin")) for n in names):
        problems.append("no weights (*.safetensors or pytorch_model*.bin)")
    manifest = read_manifest(folder)
    expected = {}
    if manifest:
        expected = dict((f["name"], f.get("size")) for f in manifest.get("files", []))
    for index in [n for n in names if n.endswith(".index.json")]:
        try:
            with open(os.path.join(folder, index)) as handle:
                expected.update((n, expected.get(n)) for n in json.load(handle).get("weight_map", {}).values())
        except ValueError:
            problems.append("%s is not valid JSON" % index)
    for name, size in sorted(expected.items()):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            problems.append("%s missing" % name)
        elif size is not None and os.path.getsize(path) != size:
            problems.append("%s has %d bytes, %d expected" % (name, os.path.getsize(path), size))
    return problems


def fetch_hub_model(model, dest, endpoint, revision, token=None, variable="model", timeout=60):
    """The Hugging Face model ``model`` at ``dest`` (the repository's config, tokenizer and weights at
    ``revision``), from ``endpoint`` (the hub, or a mirror serving its API: /api/models/<id>/revision/<rev> and
    /<id>/resolve/<rev>/<file>). Reused when ``dest`` holds a complete fetch of the same id and revision; else
    fetched into a temporary folder beside it, each weight file checked against the hub's sha256, and renamed.
    Returns {changed, path, commit, files, bytes}."""
    manifest = read_manifest(dest)
    if manifest and manifest.get("model") == model and manifest.get("revision") == revision \
            and not model_problems(dest):
        return {"changed": False, "path": dest, "commit": manifest.get("commit"),
                "files": len(manifest.get("files", [])), "bytes": sum(f.get("size") or 0 for f in manifest["files"])}
    headers = {"Authorization": "Bearer " + token} if token else {}
    base = endpoint.rstrip("/")
    info = _hub_json("%s/api/models/%s/revision/%s?blobs=true" % (base, model, quote(revision, safe="")), headers,
                     timeout, variable)
    files = model_files(info.get("siblings") or [])
    if not any(f["name"].endswith((".safetensors", ".bin")) for f in files):
        raise SourceError("%s: %s at %s lists no weights (*.safetensors or pytorch_model*.bin) on %s" % (
            variable, model, revision, base))
    parent = os.path.dirname(dest.rstrip("/"))
    if not os.path.isdir(parent):
        os.makedirs(parent)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(dest.rstrip("/")) + ".partial-", dir=parent)
    try:
        for entry in files:
            url = "%s/%s/resolve/%s/%s" % (base, model, quote(revision, safe=""), quote(entry["name"]))
            checksum = "sha256:" + entry["sha256"] if entry.get("sha256") else None
            download(url, os.path.join(tmp, entry["name"]), variable, checksum=checksum, size=entry.get("size"),
                     headers=headers, timeout=timeout)
            entry["size"] = os.path.getsize(os.path.join(tmp, entry["name"]))
        record = {"model": model, "revision": revision, "commit": info.get("sha"), "endpoint": base, "files": files}
        with open(os.path.join(tmp, MANIFEST), "w") as handle:
            json.dump(record, handle, indent=1, sort_keys=True)
        problems = model_problems(tmp)
        if problems:
            raise SourceError("%s: %s at %s is not a complete Hugging Face-format model: %s" % (
                variable, model, revision, "; ".join(problems)))
        os.chmod(tmp, 0o755)
        if os.path.isdir(dest):  # an older or incomplete fetch
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp)
    return {"changed": True, "path": dest, "commit": info.get("sha"), "files": len(files),
            "bytes": sum(f["size"] for f in files)}
