import argparse

import pytest

from fiqa.commands import attack


def _parse(argv):
    parser = argparse.ArgumentParser()
    attack.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_patch_arguments_and_defaults():
    args = _parse(["attack", "patch", "--pairs", "p.txt", "--root", "lfw", "-o", "run",
                   "--universal", "--seed", "3"])
    assert (args.mode, args.region, args.area, args.steps) == ("dodging", "eyeglasses", "0.08", 200)
    assert args.universal and args.seed == 3 and args.run is attack.run


def test_pairs_and_images_are_exclusive():
    with pytest.raises(SystemExit):
        _parse(["attack", "patch", "--pairs", "p.txt", "--images", "a.jpg", "-o", "run"])
