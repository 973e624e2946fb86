from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fiqa.evaluation.pairs import all_pairs, read_lfw_pairs, read_pairs, read_pairs_csv


def _write(path, text):
    path.write_text(text)
    return path


def test_lfw_pairs_paths_folds_and_labels(tmp_path):
    text = "2\t1\nAl 1 12\nAl 3 Bo_Bo 101\nCy 2 3\nCy 1 Al 2\n"
    table = read_lfw_pairs(_write(tmp_path / "pairs.txt", text))
    assert table.to_dict("records") == [
        {"image_a": "Al/Al_0001.jpg", "image_b": "Al/Al_0012.jpg", "same": True, "fold": 1},
        {"image_a": "Al/Al_0003.jpg", "image_b": "Bo_Bo/Bo_Bo_0101.jpg", "same": False,
         "fold": 1},
        {"image_a": "Cy/Cy_0002.jpg", "image_b": "Cy/Cy_0003.jpg", "same": True, "fold": 2},
        {"image_a": "Cy/Cy_0001.jpg", "image_b": "Al/Al_0002.jpg", "same": False, "fold": 2},
    ]


def test_lfw_view1_header_is_one_fold(tmp_path):
    table = read_lfw_pairs(_write(tmp_path / "pairs.txt", "1\nAl 1 2\nAl 1 Bo 1\n"))
    assert table["fold"].tolist() == [1, 1]
    assert table["same"].tolist() == [True, False]


def test_lfw_pairs_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="announces 1 fold"):
        read_lfw_pairs(_write(tmp_path / "a.txt", "1\t2\nAl 1 2\nAl 1 Bo 1\n"))
    with pytest.raises(ValueError, match="line 2 should be a mated"):
        read_lfw_pairs(_write(tmp_path / "b.txt", "1\t1\nAl 1 Bo 2\nAl 1 Bo 1\n"))
    with pytest.raises(ValueError, match="first line must be"):
        read_lfw_pairs(_write(tmp_path / "c.txt", "Al 1 2\n"))


def test_csv_pairs_keep_columns_and_parse_same(tmp_path):
    text = "protocol,fold,image_a,image_b,same\nFF,01,a.jpg,b.jpg,1\nFP,02,a.jpg,c.jpg,False\n"
    table = read_pairs(_write(tmp_path / "pairs.csv", text))
    assert list(table) == ["protocol", "fold", "image_a", "image_b", "same"]
    assert table["same"].tolist() == [True, False]
    assert table["fold"].tolist() == [1, 2]
    assert table["protocol"].tolist() == ["FF", "FP"]


def test_csv_pairs_errors(tmp_path):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['same'\]"):
        read_pairs_csv(_write(tmp_path / "a.csv", "image_a,image_b\nx,y\n"))
    with pytest.raises(ValueError, match="must hold 1/0 or true/false"):
        read_pairs_csv(_write(tmp_path / "b.csv", "image_a,image_b,same\nx,y,maybe\n"))
    with pytest.raises(FileNotFoundError, match="pairs file not found"):
        read_pairs(tmp_path / "missing.csv")


@pytest.fixture
def identity_root(tmp_path):
    sizes = {"ann": 4, "bob": 3, "cat": 1, "dan": 2}
    for name, count in sizes.items():
        for index in range(count):
            path = tmp_path / name / "sub" / f"{index}.png" if index % 2 else \
                tmp_path / name / f"{index}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (2, 2)).save(path)
    (tmp_path / "ann" / "notes.txt").write_text("not an image")
    return tmp_path, sizes


def test_all_pairs_enumerates_when_under_cap(identity_root):
    root, sizes = identity_root
    table = all_pairs(root, cap=1000)
    n = sum(sizes.values())
    mated_expected = sum(c * (c - 1) // 2 for c in sizes.values())
    assert table["same"].sum() == mated_expected
    assert (~table["same"]).sum() == n * (n - 1) // 2 - mated_expected
    identity = table[["image_a", "image_b"]].map(lambda p: p.split("/")[0])
    assert ((identity["image_a"] == identity["image_b"]) == table["same"]).all()
    assert not table["image_a"].str.endswith(".txt").any()
    assert not table.duplicated(["image_a", "image_b"]).any()


def test_all_pairs_cap_and_seed(identity_root):
    root, _ = identity_root
    first, again = all_pairs(root, cap=3, seed=7), all_pairs(root, cap=3, seed=7)
    assert first.equals(again)
    assert first["same"].sum() == 3 and (~first["same"]).sum() == 3
    pairs = {frozenset(p) for p in first[["image_a", "image_b"]].itertuples(index=False)}
    assert len(pairs) == 6
    draws = [set(map(tuple, all_pairs(root, cap=3, seed=s)[["image_a", "image_b"]].values))
             for s in range(6)]
    assert len({frozenset(d) for d in draws}) > 1  # the seed changes the draw


def test_all_pairs_needs_two_identities(tmp_path):
    (tmp_path / "solo").mkdir()
    Image.new("RGB", (2, 2)).save(tmp_path / "solo" / "a.png")
    with pytest.raises(ValueError, match="at least two identity folders"):
        all_pairs(tmp_path)


def test_non_mated_sampling_without_enumeration(tmp_path):
    for person in range(30):
        for index in range(3):
            (tmp_path / f"p{person:02d}").mkdir(exist_ok=True)
            Image.new("RGB", (1, 1)).save(tmp_path / f"p{person:02d}" / f"{index}.png")
    table = all_pairs(tmp_path, cap=50, seed=1)
    non_mated = table[~table["same"]]
    assert len(non_mated) == 50
    keys = {frozenset(pair) for pair in zip(non_mated["image_a"], non_mated["image_b"])}
    assert len(keys) == 50
    assert all(len({p.split("/")[0] for p in key}) == 2 for key in keys)


def test_real_lfw_pairs_file(shared_data):
    table = read_pairs(shared_data / "lfw_pairs.txt")
    assert len(table) == 6000 and table["same"].sum() == 3000
    assert table.groupby("fold")["same"].agg(["size", "sum"]).eq([600, 300]).all().all()
    sample = np.random.default_rng(0).choice(len(table), 50, replace=False)
    for row in table.iloc[sample].itertuples():
        assert (shared_data / "lfw" / row.image_a).is_file()
        assert (shared_data / "lfw" / row.image_b).is_file()


def test_real_cfp_pairs_csv(shared_data):
    table = read_pairs(shared_data / "cfp_pairs.csv")
    assert set(table["protocol"]) == {"FF", "FP"}
    assert table.groupby("protocol")["same"].sum().tolist() == [700, 700]
    assert (shared_data / "cfp" / table.loc[0, "image_a"]).is_file()

