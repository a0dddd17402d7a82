import hashlib
import io
import os

import pytest

from eoffice.core.storage import FileCorrupted, FileMissing, FileStore


def test_put_names_the_file_by_its_hash_and_reads_it_back(tmp_path):
    store = FileStore(tmp_path)
    data = "Quyết định số 15/QĐ-UBND".encode()
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert (tmp_path / digest[:2] / digest[2:4] / digest).read_bytes() == data
    assert store.read(digest) == data and store.size(digest) == len(data)


def test_streams_are_stored_in_chunks(tmp_path):
    store = FileStore(tmp_path)
    data = os.urandom(3 * 1024 * 1024 + 17)
    assert store.read(store.put(io.BytesIO(data))) == data


def test_same_content_is_stored_once(tmp_path):
    store = FileStore(tmp_path)
    assert store.put(b"same") == store.put(b"same")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1


def test_no_temporary_file_survives_a_failed_write(tmp_path):
    store = FileStore(tmp_path)

    class Broken(io.RawIOBase):
        calls = 0

        def read(self, size=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("disk went away")
            return b"x" * 1024

    with pytest.raises(OSError):
        store.put(Broken())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_corruption_on_disk_is_reported_not_served(tmp_path):
    store = FileStore(tmp_path)
    digest = store.put(b"original bytes")
    (tmp_path / digest[:2] / digest[2:4] / digest).write_bytes(b"tampered bytes")
    with pytest.raises(FileCorrupted):
        store.read(digest)


def test_missing_and_malformed_names(tmp_path):
    store = FileStore(tmp_path)
    with pytest.raises(FileMissing):
        store.read("0" * 64)
    with pytest.raises(ValueError):
        store.read("../../etc/passwd")
    store.delete("0" * 64)  # deleting what is not there is not an error


def test_app_store_lives_in_the_instance(app):
    from eoffice.core.storage import get_store

    with app.app_context():
        assert str(get_store().root).startswith(app.instance_path)
