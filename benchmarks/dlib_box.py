"""Where dlib's own frontal detector puts its box, relative to YuNet's, on LFW faces.

    python benchmarks/dlib_box.py [--images 2000]

For the first N distinct images of LFW's pairs.txt: YuNet's face nearest the image centre
and dlib's HOG frontal-face box nearest the centre (upsampled once, as dlib's examples do).
Prints the medians that :data:`fiqa.recognition.DLIB_BOX_SIDE` and
:data:`fiqa.recognition.DLIB_BOX_SHIFT` hold: the HOG box's side in YuNet box widths and its
centre's offset from YuNet's centre in YuNet widths. dlib's 5-point shape model was trained
inside HOG boxes, so fiqa seeds it with YuNet's box reshaped that way.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    args = parser.parse_args(argv)

    import dlib

    from fiqa.data import data_dir
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.face import FaceDetector, subject_face
    from fiqa.io import load_image

    pairs = read_pairs(data_dir() / "lfw_pairs.txt")
    paths = list(dict.fromkeys(pairs["image_a"].tolist() + pairs["image_b"].tolist()))
    detector, hog = FaceDetector(), dlib.get_frontal_face_detector()
    side, shift_x, shift_y = [], [], []
    for path in paths[:args.images]:
        image = load_image(data_dir() / "lfw" / path)
        faces, boxes = detector.detect(image), hog(image, 1)
        if not faces or not len(boxes):
            continue
        x, y, width, height = subject_face(faces, image.shape, face="central").box
        centre = np.array(image.shape[1::-1]) / 2
        box = min(boxes, key=lambda r: np.hypot(*(np.array([r.left() + r.right(),
                                                             r.top() + r.bottom()]) / 2 - centre)))
        side.append(box.width() / width)
        shift_x.append(((box.left() + box.right() + 1) / 2 - (x + width / 2)) / width)
        shift_y.append(((box.top() + box.bottom() + 1) / 2 - (y + height / 2)) / width)
    print(f"{len(side)} of {min(args.images, len(paths))} images with both boxes")
    print(f"HOG side / YuNet width: median {np.median(side):.3f}")
    print(f"HOG centre - YuNet centre, in YuNet widths: x {np.median(shift_x):+.3f}, "
          f"y {np.median(shift_y):+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
