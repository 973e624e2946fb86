import pytest

from fiqa.files import UNREADABLE, OutputLock, atomic_write, fingerprint, same_content


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def crash(path):
        path.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, crash)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_write_gives_normal_permissions(tmp_path):
    target = tmp_path / "new.txt"
    atomic_write(target, lambda path: path.write_text("x"))
    assert target.stat().st_mode & 0o077 != 0  # not mkstemp's private 0600


def test_same_content_follows_bytes_not_timestamps(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(b"face")
    recorded = fingerprint(path)
    path.write_bytes(b"face")  # rewritten, same bytes
    assert same_content(path, recorded)
    path.write_bytes(b"fact")  # same size, other bytes
    assert not same_content(path, recorded)
    path.unlink()
    assert not same_content(path, recorded)
    assert same_content(path, UNREADABLE)


def test_lock_is_released_and_reusable(tmp_path):
    out = tmp_path / "o.csv"
    with OutputLock(out) as lock:
        assert lock.path.read_text().isdigit()
        with pytest.raises(ValueError, match="another fiqa run"):
            OutputLock(out).acquire()
    with OutputLock(out):
        pass
    assert not (tmp_path / "o.csv.lock").exists()
