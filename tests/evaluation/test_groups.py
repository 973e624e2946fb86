import os

import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.groups import (
    ITA_COLUMN,
    ita_groups,
    load_groups,
    match_paths,
    read_groups,
    subjects_from_paths,
)


@pytest.fixture
def images(tmp_path):
    paths = []
    for person in ("ann", "bob", "cy"):
        (tmp_path / "data" / person).mkdir(parents=True)
        for index in (1, 2):
            path = tmp_path / "data" / person / f"{index}.jpg"
            path.write_bytes(b"x")
            paths.append(str(path))
    return paths


def write(path, text):
    path.write_text(text)
    return path


def test_paths_match_as_given_relative_resolved_and_by_suffix(tmp_path, images):
    os.symlink(tmp_path / "data", tmp_path / "link")
    wanted = [images[0], "data/ann/2.jpg", str(tmp_path / "link" / "bob" / "1.jpg"),
              "bob/2.jpg", "nowhere/9.jpg"]
    rows = match_paths(wanted, images, bases=[tmp_path])
    assert rows.tolist() == [0, 1, 2, 3, -1]


def test_read_groups_labels_each_scored_image_and_reports_unknown_paths(tmp_path, images):
    csv = write(tmp_path / "g.csv", "path,sex,age\ndata/ann/1.jpg,f,30\ndata/ann/2.jpg,f,31\n"
                "bob/1.jpg,m,40\nmissing/1.jpg,m,50\n")
    groups = read_groups(csv, images)
    assert groups.attributes == ("sex", "age")
    assert groups.labels["sex"].fillna("-").tolist() == ["f", "f", "m", "-", "-", "-"]
    assert groups.unmatched == ["missing/1.jpg"]
    assert groups.labels["subject"].tolist() == subjects_from_paths(images).tolist()
    summary = groups.summary()
    assert "3 scored images have no sex" in summary
    assert "1 paths in the groups file match no scored image (e.g. missing/1.jpg)" in summary


def test_subject_column_overrides_folders(tmp_path, images):
    csv = write(tmp_path / "g.csv", "path,subject,site\n" + "".join(
        f"{path},person{index // 4},s\n" for index, path in enumerate(images)))
    groups = read_groups(csv, images)
    assert groups.labels["subject"].tolist() == ["person0"] * 4 + ["person1"] * 2


@pytest.mark.parametrize(("text", "message"), [
    ("image,sex\na.jpg,f\n", "needs a 'path' column"),
    ("path,subject\na.jpg,p\n", "no group column"),
    ("path,sex\ndata/ann/1.jpg,f\ndata/ann/1.jpg,m\n", "more than one set of labels"),
    ("path,sex\nzzz/1.jpg,f\n", "none of the 1 paths"),
])
def test_bad_groups_files_say_what_is_wrong(tmp_path, images, text, message):
    with pytest.raises(ValueError, match=message):
        read_groups(write(tmp_path / "g.csv", text), images)


def test_missing_groups_file(tmp_path, images):
    with pytest.raises(FileNotFoundError, match="groups file not found"):
        load_groups(str(tmp_path / "none.csv"), pd.DataFrame({"path": images}))


def test_ita_groups_bin_the_scored_angle_and_leave_out_images_without_one():
    scores = pd.DataFrame({"path": ["p/1.jpg", "p/2.jpg", "q/1.jpg"],
                           "status": ["ok", "ok", "no_face"],
                           "IndividualTypologyAngle": [60.0, -40.0, np.nan]})
    groups = load_groups("ITA", scores)
    assert groups.labels[ITA_COLUMN].fillna("-").tolist() == ["very light", "dark", "-"]
    assert "not a person's attribute" in groups.note
    assert groups.order[ITA_COLUMN][0] == "very light"
    with pytest.raises(ValueError, match="score with --measures"):
        ita_groups(scores.drop(columns="IndividualTypologyAngle"))
