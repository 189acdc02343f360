"""``cw.data.fetch`` against a local HTTP server on 127.0.0.1 (no test reaches beyond loopback): full downloads,
an interrupted download resumed with HTTP Range, a wrong checksum, a 404, a 429 with Retry-After, a truncated zip,
the manifest, and the Comtrade API's key, rate limit and row cap."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import chipwar as cw
import pytest
from _http_server import serve
from chipwar.data import Retry, read_manifest


@pytest.fixture
def server():
    with serve() as running:
        yield running


class Sleeps(list):
    """An injected sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


def _retry(sleeps, attempts=4):
    return Retry(attempts=attempts, backoff_s=0.5, timeout_s=5, sleep=sleeps)


def _zip_bytes(name="g_patent.tsv", text="patent_id\twithdrawn\nP1\t0\n" * 2000) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_full_download_is_recorded_in_the_manifest(server, sleeps, tmp_path):
    body = _zip_bytes()
    server.put("/files/g_patent.tsv.zip", body)
    entries = cw.data.fetch(url=server.url("/files/g_patent.tsv.zip"), dir=tmp_path, sha256=_sha(body),
                            retry=_retry(sleeps))
    target = tmp_path / "downloads" / "g_patent.tsv.zip"
    assert target.read_bytes() == body
    assert not target.with_name(target.name + ".part").exists()
    (entry,) = entries
    assert (entry.path, entry.url, entry.bytes, entry.sha256) == ("downloads/g_patent.tsv.zip",
                                                                   server.url("/files/g_patent.tsv.zip"), len(body),
                                                                   _sha(body))
    assert entry.check == "zip, 1 members, CRC checked"
    assert entry.retrieved_at.endswith("+00:00")
    assert read_manifest(tmp_path)["downloads/g_patent.tsv.zip"] == entry
    assert sleeps == []
    # a second fetch finds the file with its hash and does not download again
    cw.data.fetch(url=server.url("/files/g_patent.tsv.zip"), dir=tmp_path, retry=_retry(sleeps))
    assert len(server.requests_for("/files/g_patent.tsv.zip")) == 1


def test_interrupted_download_resumes_with_a_range_request(server, sleeps, tmp_path):
    body = bytes(range(256)) * 4000  # 1,024,000 bytes
    server.put("/big.bin", body, cut_after=300_000, cuts=2)
    (entry,) = cw.data.fetch(url=server.url("/big.bin"), dir=tmp_path, retry=_retry(sleeps))
    assert (tmp_path / "downloads" / "big.bin").read_bytes() == body
    assert entry.sha256 == _sha(body)
    ranges = [r.headers.get("Range") for r in server.requests_for("/big.bin")]
    assert ranges == [None, "bytes=300000-", "bytes=600000-"]
    assert sleeps == [0.5, 1.0]  # back-off doubles between attempts


def test_a_download_left_unfinished_resumes_in_the_next_run(server, sleeps, tmp_path):
    body = b"x" * 500_000
    server.put("/part.bin", body, cut_after=200_000, cuts=1)
    with pytest.raises(cw.ChipwarError, match=r"failed after 1 attempts .* 200000 bytes received are kept .* resume"):
        cw.data.fetch(url=server.url("/part.bin"), dir=tmp_path, retry=_retry(sleeps, attempts=1))
    assert (tmp_path / "downloads" / "part.bin.part").stat().st_size == 200_000
    cw.data.fetch(url=server.url("/part.bin"), dir=tmp_path, retry=_retry(sleeps))
    assert (tmp_path / "downloads" / "part.bin").read_bytes() == body
    assert server.requests_for("/part.bin")[-1].headers["Range"] == "bytes=200000-"


def test_a_server_that_ignores_range_gives_the_whole_file_again(server, sleeps, tmp_path):
    body = b"0123456789" * 50_000
    server.put("/norange.bin", body, cut_after=123_456, cuts=1, ignore_range=True)
    cw.data.fetch(url=server.url("/norange.bin"), dir=tmp_path, retry=_retry(sleeps))
    assert (tmp_path / "downloads" / "norange.bin").read_bytes() == body


def test_wrong_checksum_is_refused_and_nothing_is_kept(server, sleeps, tmp_path):
    body = _zip_bytes()
    server.put("/g.zip", body)
    with pytest.raises(cw.ChipwarError, match=r"g\.zip: SHA-256 [0-9a-f]{64} differs from the 0{64}.*fetch again"):
        cw.data.fetch(url=server.url("/g.zip"), dir=tmp_path, sha256="0" * 64, retry=_retry(sleeps))
    assert list((tmp_path / "downloads").iterdir()) == []
    assert read_manifest(tmp_path) == {}


def test_404_names_the_url_and_the_sources_file_without_retrying(server, sleeps, tmp_path):
    with pytest.raises(cw.ChipwarError, match=r"/moved\.zip: the server refused the download \(HTTP 404 .*sources file"):
        cw.data.fetch(url=server.url("/moved.zip"), dir=tmp_path, retry=_retry(sleeps))
    assert len(server.requests_for("/moved.zip")) == 1
    assert sleeps == []


def test_429_waits_as_long_as_retry_after_asks(server, sleeps, tmp_path):
    body = b"csv,data\n1,2\n"
    server.put("/limited.csv", body, fail_status=429, fails=2, retry_after="7")
    cw.data.fetch(url=server.url("/limited.csv"), dir=tmp_path, retry=_retry(sleeps))
    assert sleeps == [7.0, 7.0]
    assert (tmp_path / "downloads" / "limited.csv").read_bytes() == body


def test_server_errors_retry_with_back_off_then_give_up(server, sleeps, tmp_path):
    server.put("/down.zip", b"", fail_status=503, fails=10)
    with pytest.raises(cw.ChipwarError, match=r"failed after 3 attempts \(last: HTTP 503"):
        cw.data.fetch(url=server.url("/down.zip"), dir=tmp_path, retry=_retry(sleeps, attempts=3))
    assert sleeps == [0.5, 1.0]
    assert len(server.requests_for("/down.zip")) == 3


def test_truncated_zip_is_refused(server, sleeps, tmp_path):
    body = _zip_bytes()
    server.put("/cut.tsv.zip", body[: len(body) // 2])  # complete as served, but the archive is cut in half
    with pytest.raises(cw.ChipwarError, match=r"cut\.tsv\.zip: not a readable zip file .* truncated or corrupt"):
        cw.data.fetch(url=server.url("/cut.tsv.zip"), dir=tmp_path, retry=_retry(sleeps))
    assert list((tmp_path / "downloads").iterdir()) == []


def test_zip_with_a_bad_member_crc_is_refused(server, sleeps, tmp_path):
    body = bytearray(_zip_bytes(text="a\tb\n1\t2\n"))
    stored = body.index(b"g_patent.tsv") + len("g_patent.tsv")
    body[stored] ^= 0xFF  # corrupt the first byte of the compressed data
    server.put("/crc.zip", bytes(body))
    with pytest.raises(cw.ChipwarError, match=r"crc\.zip: .*(CRC|not a readable zip)"):
        cw.data.fetch(url=server.url("/crc.zip"), dir=tmp_path, retry=_retry(sleeps))


def _sources_file(tmp_path, server, **comtrade) -> str:
    settings = {"max_records": 3, "preview_max_records": 2, "periods": [2020, 2021], "reporters": [], **comtrade}
    text = f"""version = 1
[patentsview]
url = "{server.base}/pv/{{name}}.tsv.zip"
version = "test release"
files = ["g_patent", "g_application"]
sha256 = {{ "g_application.tsv.zip" = "{'0' * 64}" }}

[csl]
url = "{server.base}/csl/{{name}}"
version = "daily"
files = ["consolidated.csv"]

[comtrade]
url = "{server.base}/comtrade/data/C/{{freq}}/HS"
preview_url = "{server.base}/comtrade/preview/C/{{freq}}/HS"
key_env = "CHIPWAR_TEST_COMTRADE_KEY"
key_header = "Ocp-Apim-Subscription-Key"
version = "api v1"
freq = "A"
flow = "X"
partner = "0"
commodities = ["8542"]
reporters = {json.dumps(settings['reporters'])}
periods = {json.dumps(settings['periods'])}
max_records = {settings['max_records']}
preview_max_records = {settings['preview_max_records']}
min_interval_s = 1.5
"""
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_named_sources_from_a_sources_file(server, sleeps, tmp_path):
    patents, applications = _zip_bytes(), _zip_bytes("g_application.tsv")
    server.put("/pv/g_patent.tsv.zip", patents)
    server.put("/pv/g_application.tsv.zip", applications)
    server.put("/csl/consolidated.csv", b"name,source\nA Co,Entity List\n")
    sources = _sources_file(tmp_path, server)
    data = tmp_path / "data"
    # the pinned checksum of g_application does not match what the server has: refused, naming the file
    with pytest.raises(cw.ChipwarError, match=r"g_application\.tsv\.zip: SHA-256 .* differs"):
        cw.data.fetch(["csl", "patentsview"], dir=data, sources_file=sources, retry=_retry(sleeps))
    manifest = read_manifest(data)
    assert sorted(manifest) == ["csl/consolidated.csv", "patentsview/g_patent.tsv.zip"]
    assert manifest["patentsview/g_patent.tsv.zip"].version == "test release"
    assert manifest["patentsview/g_patent.tsv.zip"].sha256 == _sha(patents)
    assert (data / "csl" / "consolidated.csv").read_bytes().startswith(b"name,source")


def test_unknown_source_and_missing_arguments(tmp_path):
    with pytest.raises(cw.ChipwarError, match=r"unknown source\(s\) \['patentview'\]; choose from"):
        cw.data.fetch("patentview", dir=tmp_path)
    with pytest.raises(cw.ChipwarError, match="name the sources to fetch"):
        cw.data.fetch(dir=tmp_path)
    with pytest.raises(cw.ChipwarError, match="either sources or url="):
        cw.data.fetch("csl", url="http://127.0.0.1:9/x", dir=tmp_path)


def _page(rows: int) -> bytes:
    return json.dumps({"count": rows, "error": "", "data": [{"refYear": 2020, "i": i} for i in range(rows)]}).encode()


def test_comtrade_uses_the_key_pages_by_year_and_respects_the_rate_limit(server, sleeps, tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPWAR_TEST_COMTRADE_KEY", "secret-key")
    server.put("/comtrade/data/C/A/HS", _page(2), content_type="application/json")
    entries = cw.data.fetch("comtrade", dir=tmp_path, sources_file=_sources_file(tmp_path, server),
                            retry=_retry(sleeps))
    assert [e.path for e in entries] == ["comtrade/comtrade_A_X_2020.json", "comtrade/comtrade_A_X_2021.json"]
    calls = server.requests_for("/comtrade/data/C/A/HS")
    assert [c.headers["Ocp-Apim-Subscription-Key"] for c in calls] == ["secret-key"] * 2
    assert "period=2020" in calls[0].path and "cmdCode=8542" in calls[0].path and "maxRecords=3" in calls[0].path
    assert sleeps == [1.5]  # one pause between the two calls


def test_comtrade_without_a_key_uses_the_preview_and_refuses_a_capped_answer(server, sleeps, tmp_path, monkeypatch):
    monkeypatch.delenv("CHIPWAR_TEST_COMTRADE_KEY", raising=False)
    server.put("/comtrade/preview/C/A/HS", _page(2), content_type="application/json")
    with pytest.raises(cw.ChipwarError, match=r"returned 2 rows, its cap for one call.*CHIPWAR_TEST_COMTRADE_KEY"):
        cw.data.fetch("comtrade", dir=tmp_path, sources_file=_sources_file(tmp_path, server), retry=_retry(sleeps))
    assert "Ocp-Apim-Subscription-Key" not in server.requests_for("/comtrade/preview/C/A/HS")[0].headers
    assert not (tmp_path / "comtrade" / "comtrade_A_X_2020.json").exists()


def test_comtrade_lists_of_reporters_make_one_call_each(server, sleeps, tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPWAR_TEST_COMTRADE_KEY", "k")
    server.put("/comtrade/data/C/A/HS", _page(1), content_type="application/json")
    entries = cw.data.fetch("comtrade", dir=tmp_path, retry=_retry(sleeps),
                            sources_file=_sources_file(tmp_path, server, reporters=[156, 842], periods=[2020, 2020]))
    assert [e.path for e in entries] == ["comtrade/comtrade_A_X_2020_156.json", "comtrade/comtrade_A_X_2020_842.json"]
    assert ["reporterCode=156" in c.path for c in server.requests_for("/comtrade/data/C/A/HS")] == [True, False]


def test_the_shipped_sources_file_names_every_source():
    sources = cw.data.load_sources()
    assert set(cw.data.SOURCES) <= set(sources.settings)
    files = {s: [f.url for f in sources.files(s)] for s in ("patentsview", "baci", "ncses", "csl")}
    assert files["patentsview"][0] == "https://s3.amazonaws.com/data.patentsview.org/download/g_patent.tsv.zip"
    assert len(files["patentsview"]) == 6
    assert files["baci"] == ["https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS17_V202401b.zip"]
    assert files["csl"][0].endswith("/downloadable_consolidated_screening_list/v1/consolidated.csv")
    assert sources.settings["baci"]["verified"] is False  # unverified patterns are marked as such
