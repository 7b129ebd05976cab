"""module_utils/sources.py: validation of model= and the data inputs, and the downloads (Alpaca JSON and hub
models) against a local HTTP server serving the hub test double (tests/hub_mirror_double.py)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import sources

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hub_mirror_double import publish_model

SHAPES = ["tiny", "llama-1b", "llama2-7b", "llama2-13b", "llama2-70b"]
RECORDS = [{"instruction": "Say hi.", "input": "", "output": "Hi."},
           {"instruction": "Add", "input": "1 1", "output": "2"}]


@pytest.mark.parametrize(("model", "kind"), [
    ("llama2-7b", "shape"), ("meta-llama/Llama-2-7b-hf", "hub"), ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "hub"),
    ("/data/models/llama", "path"), ("meta llama/x", None), ("a/b/c", None), ("org--x/y", None), ("-org/y", None),
    ("org/y.", None), ("/data/../etc", None), ("relative/../x", None), ("", None), ("x;rm -rf /", None),
    ("meta-llama/Llama-2-7b-hf\n", None),
])
def test_model_kind(model: str, kind: str | None) -> None:
    assert sources.model_kind(model, SHAPES) == kind
    assert (sources.model_error(model, SHAPES) == "") == (kind is not None)


def test_source_errors_name_each_variable() -> None:
    good = {"h200_sft_data_source": "alpaca", "h200_sft_alpaca_url": "https://example.org/a.json",
            "h200_sft_alpaca_checksum": "git-sha1:" + "a" * 40, "h200_model_hub_endpoint": "https://huggingface.co",
            "h200_model_revision": "main", "h200_model_fetch": "master", "h200_sft_tokenizer": "auto"}
    assert sources.source_errors("meta-llama/Llama-2-7b-hf", SHAPES, **good) == []
    bad = dict(good, h200_sft_data_source="alpaca", h200_sft_alpaca_url="ftp://x", h200_sft_alpaca_checksum="md5:1",
               h200_model_fetch="everywhere", h200_sft_tokenizer="train-bpe:8000")
    errors = " ".join(sources.source_errors("meta-llama/Llama-2-7b-hf", SHAPES, **bad))
    for variable in ("h200_sft_alpaca_url=ftp://x", "h200_sft_alpaca_checksum=md5:1", "h200_model_fetch=everywhere",
                     "h200_sft_tokenizer=train-bpe:8000"):
        assert variable in errors
    web = sources.source_errors("tiny", SHAPES, **dict(good, h200_sft_data_source="web"))
    assert "h200_sft_data_source=web" in web[0]


def test_sft_paths() -> None:
    hub = sources.sft_paths("meta-llama/Llama-2-7b-hf", SHAPES, "auto", "/n", 512, "alpaca", 52002)
    assert hub["model_path"] == hub["tokenizer"] == "/n/models/models--meta-llama--Llama-2-7b-hf"
    assert hub["data_file"] == "/n/data/alpaca_data.json"
    assert hub["data_dir"] == "/n/data/_n_models_models--meta-llama--Llama-2-7b-hf-512"
    shape = sources.sft_paths("tiny", SHAPES, "auto", "/n", 128, "synth", 1000)
    assert (shape["model_path"], shape["tokenizer"], shape["data_file"]) == (
        "tiny", "train-bpe:8000", "/n/data/alpaca_synth-1000.json")
    # a shape with a tokenizer named by the user keeps it, and the prepared data is kept apart by it
    named = sources.sft_paths("tiny", SHAPES, "train-bpe:4000", "/n", 128, "/data/alpaca.json", 1000)
    assert (named["tokenizer"], named["data_file"], named["data_dir"]) == (
        "train-bpe:4000", "/data/alpaca.json", "/n/data/train-bpe_4000-128")


def test_git_sha1_is_the_git_blob_id(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"hello\n")
    # `printf 'hello\n' | git hash-object --stdin`
    assert sources.file_checksum(str(path), "git-sha1") == "git-sha1:ce013625030ba8dba906f756967f9e9ca394464a"
    assert sources.file_checksum(str(path), "sha256") == "sha256:" + hashlib.sha256(b"hello\n").hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()


def test_alpaca_fetched_checked_and_cached(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    (root / "alpaca_data.json").write_text(json.dumps(RECORDS))
    good = "sha256:" + hashlib.sha256((root / "alpaca_data.json").read_bytes()).hexdigest()
    dest = tmp_path / "cache" / "alpaca_data.json"
    first = sources.fetch_alpaca(url + "/alpaca_data.json", str(dest), good)
    assert first["changed"] and first["records"] == 2 and dest.is_file()
    assert not sources.fetch_alpaca(url + "/alpaca_data.json", str(dest), good)["changed"]  # the cache
    # no checksum given: the first download's sha256 is kept and checked on reuse
    other = tmp_path / "other" / "alpaca_data.json"
    assert sources.fetch_alpaca(url + "/alpaca_data.json", str(other), None)["changed"]
    assert not sources.fetch_alpaca(url + "/alpaca_data.json", str(other), None)["changed"]
    # a site mirror given as a path works the same way
    assert sources.fetch_alpaca(str(root / "alpaca_data.json"), str(tmp_path / "m.json"), good)["records"] == 2


@pytest.mark.parametrize(("case", "message"), [
    ("unreachable", "h200_sft_alpaca_url: http://127.0.0.1:1/alpaca_data.json could not be read: unreachable"),
    ("missing", "could not be read: HTTP 404"),
    ("checksum", "has checksum sha256:"),
    ("malformed", "is not valid JSON"),
    ("not_alpaca", "record 1 is not an Alpaca record"),
])
def test_alpaca_failures_leave_nothing(server: tuple[str, Path], tmp_path: Path, case: str, message: str) -> None:
    url, root = server
    text = {"malformed": json.dumps(RECORDS)[:-7], "not_alpaca": json.dumps([RECORDS[0], {"instruction": 1}])}
    (root / "alpaca_data.json").write_text(text.get(case, json.dumps(RECORDS)))
    source = {"unreachable": "http://127.0.0.1:1/alpaca_data.json", "missing": url + "/nope.json"}.get(
        case, url + "/alpaca_data.json")
    checksum = "sha256:" + "0" * 64 if case == "checksum" else None
    dest = tmp_path / "cache" / "alpaca_data.json"
    with pytest.raises(sources.SourceError) as err:
        sources.fetch_alpaca(source, str(dest), checksum)
    assert message in str(err.value)
    assert [p.name for p in dest.parent.iterdir()] == []  # no partial file, nothing to reuse


def _tiny_model(folder: Path) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / "tokenizer.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"\0" * 1000)
    return folder


def test_hub_model_fetched_checked_and_cached(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    publish_model(root, _tiny_model(tmp_path / "src"), "test-org/tiny-llama")
    dest = tmp_path / "models" / "models--test-org--tiny-llama"
    first = sources.fetch_hub_model("test-org/tiny-llama", str(dest), url, "main", token="hf_secret")
    assert first["changed"] and first["files"] == 3 and first["commit"] == "0" * 40
    assert sorted(p.name for p in dest.iterdir()) == [
        ".h200-model.json", "config.json", "model.safetensors", "tokenizer.json"]
    assert "hf_secret" not in (dest / ".h200-model.json").read_text()
    assert sources.model_problems(str(dest)) == []
    assert not sources.fetch_hub_model("test-org/tiny-llama", str(dest), url, "main")["changed"]
    (dest / "model.safetensors").write_bytes(b"\0" * 10)  # cut off: no longer complete, fetched again
    assert sources.model_problems(str(dest)) == ["model.safetensors has 10 bytes, 1000 expected"]
    assert sources.fetch_hub_model("test-org/tiny-llama", str(dest), url, "main")["changed"]


def test_hub_model_failures(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    listing = publish_model(root, _tiny_model(tmp_path / "src"), "test-org/tiny-llama")
    with pytest.raises(sources.SourceError, match=r"model: .*HTTP 404.*no such model"):
        sources.fetch_hub_model("test-org/other", str(tmp_path / "m"), url, "main")
    data = json.loads(listing.read_text())
    data["siblings"][1]["lfs"]["sha256"] = "1" * 64  # model.safetensors
    listing.write_text(json.dumps(data))
    with pytest.raises(sources.SourceError, match="has checksum sha256:"):
        sources.fetch_hub_model("test-org/tiny-llama", str(tmp_path / "m"), url, "main")
    assert list(tmp_path.glob("m*")) == [] and list(tmp_path.glob(".m*")) == []


def test_model_problems_of_a_local_folder(tmp_path: Path) -> None:
    assert sources.model_problems(str(tmp_path / "none")) == [f"{tmp_path / 'none'} does not exist"]
    folder = _tiny_model(tmp_path / "m")
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"a": "model-2.safetensors"}}))
    assert sources.model_problems(str(folder)) == ["model-2.safetensors missing"]


@pytest.mark.parametrize(("inputs", "expected"), [
    ({"h200_model_hub_endpoint": "hub.local"}, "h200_model_hub_endpoint=hub.local is not accepted"),
    ({"h200_model_revision": "main; rm"}, "h200_model_revision=main; rm is not accepted"),
    ({"h200_sft_data_source": "/data/alpaca.json"}, ""),
])
def test_hub_settings_are_refused_by_name(inputs: dict[str, str], expected: str) -> None:
    good = {"h200_sft_data_source": "synth", "h200_model_hub_endpoint": "https://huggingface.co",
            "h200_model_revision": "main", "h200_model_fetch": "master", "h200_sft_tokenizer": "auto"}
    errors = sources.source_errors("meta-llama/Llama-2-7b-hf", SHAPES, **dict(good, **inputs))
    assert (expected in " ".join(errors)) if expected else errors == []


def test_a_shapes_tokenizer_of_another_form_is_refused() -> None:
    errors = sources.source_errors("tiny", SHAPES, h200_sft_data_source="synth", h200_sft_tokenizer="bpe 8000")
    assert errors == ["h200_sft_tokenizer=bpe 8000 is not accepted: give auto, train-bpe:VOCAB, a Hugging Face "
                      "tokenizer id or an absolute path"]
    # an Alpaca file already on every node is read where it is
    paths = sources.sft_paths("tiny", SHAPES, "auto", "/n", 128, "/data/alpaca.json", 1000)
    assert paths["data_file"] == "/data/alpaca.json"


def test_an_empty_model_folder_names_each_thing_it_lacks(tmp_path: Path) -> None:
    assert sources.model_problems(str(tmp_path)) == [
        "no config.json", "no tokenizer (tokenizer.json or tokenizer.model)",
        "no weights (*.safetensors or pytorch_model*.bin)"]


@pytest.mark.parametrize("content", ["[]", "{}"])
def test_alpaca_json_that_is_not_a_list_of_records_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(content)
    with pytest.raises(sources.SourceError, match=r"h200_sft_alpaca_url: .* is not a non-empty JSON list"):
        sources.alpaca_records(str(path), "h200_sft_alpaca_url")
