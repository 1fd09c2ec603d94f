"""The fuzz battery's cases: seeded command lines for every command, and a runner that judges one.

``case(i, env)`` draws command line ``i`` from ``random.Random(i)``: a command, a cheap valid base (tiny
networks, a few steps) and one to three options replaced by hostile values — absurd or overflowing sizes, NaN
and infinity, huge strings, paths that cannot be written or read, malformed CSVs, broken run directories.
Whatever the option, a hostile value is drawn a third of the time from the classes every option must survive
(``extreme``): path bytes that are not UTF-8 (surrogate escapes, as Python hands them over), magnitudes up to
1e308 and 10**400, and names over the file system's limits (a 300-byte component, a path past 4096 bytes);
``grid_cases(env)`` sets every option of every command to each of those values in turn (``--out`` to one magnitude
of each kind of name they make).
``run_case`` calls ``reluscope.cli.main`` in this process under a SIGALRM timeout and returns what went wrong
(``None``: exit 0, or exit 2 with exactly one line ``reluscope: error: …`` on stderr and no warning).
"""

from __future__ import annotations

import io
import random
import shutil
import signal
import traceback
import warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reluscope.cli import main

HUGE = ["9" * 5000, str(2**64), str(10**15), str(10**12), str(10**9), str(10**6), str(2**63)]
NEGATIVE = ["-1", "-5", str(-(2**63))]
NONFINITE = ["nan", "inf", "-inf", "1e309", "-1e309", "NaN"]
GARBAGE = ["", " ", "x", "three", "1,2", "0x10", "1e3", "\u00e9", "a" * 5000, "--", "-"]
MAGNITUDES = ["1e308", "-1e308", "1.7976931348623157e308", "3.5e38", "-3.5e38", "1e38", "1e-39", "5e-324",
              str(10**40), str(-(10**40)), str(10**400), "1e40:1e308:3", "1," + str(10**400)]
NON_UTF8 = ["caf\udce9", "\udcff\udcfe", "caf\udce9.csv", "sub\udce9/x", "\udce9" * 10, "\ud800"]  # \ud800: no byte
LONG = ["n" * 256, "\u00e9" * 128, "\udce9" * 256, "d/" * 2100 + "x", "x" * 255 + ".csv", "n" * 300 + "/x"]
EXTREMES = MAGNITUDES + NON_UTF8 + LONG
# The magnitudes as an ``--out`` name, one of each kind of name they make: digits, letters and dots; a leading '-'
# (an option's look); a ':' in it; a component past NAME_MAX, with a ',' in it or not. Names of one kind are written
# alike, and each valid one draws a whole output (a quarter of the grid's CPU time each, so not all 13 of them).
OUT_MAGNITUDES = ["1e308", "-1e308", "1e40:1e308:3", str(10**400), "1," + str(10**400)]


@dataclass
class Env:
    """Files the cases point at: a small valid run, broken copies of it, malformed CSVs, hostile paths."""

    tmp: Path
    run: Path  # a valid run with snapshots (moons, depth 3, width 4)
    broken_runs: list[Path]
    bad_csvs: list[Path]
    good_csv: Path
    latin1_run: Path  # a copy of ``run`` under a name whose bytes are not UTF-8: as valid as ``run``

    def extreme(self, rng: random.Random, writable: bool = True) -> str:
        """A value of the classes every option must survive: bytes that are not UTF-8, magnitudes, long names
        (as given, relative to the scratch working directory, or below ``tmp``); ``writable=False`` draws only
        names no directory can be written under (for ``study --out``: a valid study takes a minute)."""
        names = NON_UTF8 + LONG if writable else ["\ud800", *LONG]
        value = rng.choice(EXTREMES if writable else names)
        return str(self.tmp / "x" / value) if value in names and rng.random() < 0.3 else value

    def writable_outs(self) -> list[str]:
        """Valid ``--out`` names at the edges: bytes that are not UTF-8, a 255-byte component."""
        return [str(self.tmp / "caf\udce9"), str(self.tmp / "new\udce9" / "x"), str(self.tmp / ("n" * 255))]

    def hostile_outs(self, writable: bool = True) -> list[str]:
        blocker = self.tmp / "a-file"
        full = self.tmp / "full"
        return ["", ".", "..", "/", "/proc/reluscope-out", "/sys/reluscope-out", "/proc/self/status",
                str(blocker / "below-a-file"), str(blocker), str(full), str(self.tmp / ("n" * 300)),
                "/" + "d/" * 3000, "\x00", str(self.tmp / "new" / ("x" * 256) / "deep"),
                str(self.tmp / ("\udce9" * 256)), str(self.tmp / ("\u00e9" * 128)), str(self.tmp / "\ud800"),
                *(self.writable_outs() if writable else [])]


def make_env(tmp: Path) -> Env:
    """Train the small run and write every broken copy and malformed file once."""
    run = tmp / "run"
    assert main(["train", "--dataset", "moons", "--n-samples", "40", "--depth", "3", "--width", "4", "--steps",
                 "6", "--snapshots", "2", "--out", str(run)]) == 0
    (tmp / "a-file").write_text("x")
    (tmp / "full").mkdir()
    (tmp / "full" / "keep.txt").write_text("x")
    latin1_run = Path(shutil.copytree(run, tmp / "run-caf\udce9"))
    return Env(tmp, run, _broken_runs(run, tmp / "broken"), _bad_csvs(tmp / "csv"), _good_csv(tmp / "good.csv"),
               latin1_run)


def _broken_runs(run: Path, root: Path) -> list[Path]:
    """Copies of ``run`` with one file missing, truncated, garbage or of the wrong shape."""
    wide = np.load(run / "data.npz")
    damage = {
        "no-config": lambda d: (d / "config.json").unlink(),
        "no-model": lambda d: (d / "model.pt").unlink(),
        "no-data": lambda d: (d / "data.npz").unlink(),
        "no-metrics": lambda d: (d / "metrics.json").unlink(),
        "no-history": lambda d: (d / "history.csv").unlink(),
        "config-garbage": lambda d: (d / "config.json").write_text("{not json"),
        "config-list": lambda d: (d / "config.json").write_text("[1, 2]"),
        "config-null": lambda d: (d / "config.json").write_text("null"),
        "config-wrong-types": lambda d: (d / "config.json").write_text('{"depth": "three", "width": [4]}'),
        "config-huge-depth": lambda d: _edit_json(d / "config.json", depth=10**6),
        "config-huge-width": lambda d: _edit_json(d / "config.json", width=10**9),
        "config-negative": lambda d: _edit_json(d / "config.json", depth=-3),
        "config-other-depth": lambda d: _edit_json(d / "config.json", depth=5),
        "config-bad-activation": lambda d: _edit_json(d / "config.json", activation="swish"),
        "config-float-depth": lambda d: _edit_json(d / "config.json", depth=3.5),
        "config-nan": lambda d: (d / "config.json").write_text('{"depth": NaN, "width": Infinity}'),
        "config-binary": lambda d: (d / "config.json").write_bytes(bytes(range(256))),
        "metrics-garbage": lambda d: (d / "metrics.json").write_text("]"),
        "metrics-list": lambda d: (d / "metrics.json").write_text("[]"),
        "history-garbage": lambda d: (d / "history.csv").write_bytes(b"\x00\xff" * 100),
        "history-text": lambda d: (d / "history.csv").write_text("step,train_loss\nabc,def\n"),
        "model-truncated": lambda d: _truncate(d / "model.pt"),
        "model-empty": lambda d: (d / "model.pt").write_bytes(b""),
        "model-garbage": lambda d: (d / "model.pt").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 10),
        "model-text": lambda d: (d / "model.pt").write_text("hello"),
        "snapshots-truncated": lambda d: _truncate(d / "snapshots.pt"),
        "snapshots-garbage": lambda d: (d / "snapshots.pt").write_text("[]"),
        "data-truncated": lambda d: _truncate(d / "data.npz"),
        "data-garbage": lambda d: (d / "data.npz").write_text("not a zip"),
        "data-wrong-shape": lambda d: np.savez(d / "data.npz", **{**wide, "X_train": np.zeros((5, 7))}),
        "data-missing-key": lambda d: np.savez(d / "data.npz", X_train=wide["X_train"]),
        "data-nan": lambda d: np.savez(d / "data.npz", **{**wide, "X_train": np.full_like(wide["X_train"], np.nan)}),
        "data-empty": lambda d: np.savez(d / "data.npz", **{**wide, "X_train": np.zeros((0, 2)),
                                                            "y_train": np.zeros(0, np.int64)}),
        "data-labels-float": lambda d: np.savez(d / "data.npz", **{**wide, "y_train": wide["y_train"] + 0.5}),
        "data-labels-negative": lambda d: np.savez(d / "data.npz", **{**wide, "y_train": -wide["y_train"] - 1}),
        "data-huge-labels": lambda d: np.savez(d / "data.npz", **{**wide, "y_train": wide["y_train"] * 10**9}),
        "data-1d": lambda d: np.savez(d / "data.npz", **{**wide, "X_train": wide["X_train"][:, 0]}),
        "data-object": lambda d: np.savez(d / "data.npz", **{**wide, "name": np.array([{"a": 1}], dtype=object)}),
        "file-not-dir": lambda d: (shutil.rmtree(d), d.write_text("x")),
        "empty-dir": lambda d: [p.unlink() for p in d.iterdir()],
    }
    out = []
    for name, damage_it in damage.items():
        d = root / name
        shutil.copytree(run, d)
        damage_it(d)
        out.append(d)
    return out


def _edit_json(path: Path, **changes) -> None:
    import json

    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _good_csv(path: Path) -> Path:
    path.write_text("x1,x2,label\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40)))
    return path


def _bad_csvs(root: Path) -> list[Path]:
    root.mkdir()
    files = {
        "empty.csv": b"",
        "header-only.csv": b"x1,x2,label\n",
        "one-row.csv": b"x1,x2,label\n0,0,0\n",
        "binary.csv": bytes(range(256)) * 40,
        "nul.csv": b"x1,x2,label\n0,0\x00,0\n1,1,1\n2,2,0\n3,3,1\n",
        "latin1.csv": "x1,x2,label\n0,0,\u00e9\n".encode("latin-1"),
        "nan.csv": b"x1,x2,label\n" + b"nan,0,0\n1,1,1\n2,2,0\n3,3,1\n",
        "inf.csv": b"x1,x2,label\n" + b"inf,0,0\n1,1,1\n2,2,0\n3,3,1\n",
        "huge-values.csv": b"x1,x2,label\n" + b"".join(b"1e308,-1e308,%d\n" % (i % 2) for i in range(8)),
        "wide.csv": b",".join(b"c%d" % i for i in range(10**6)) + b"\n" + b",".join(b"1" for _ in range(10**6)) + b"\n",
        "wrong-header.csv": b"a,b\n" + b"".join(b"%d,%d\n" % (i, i % 2) for i in range(8)),
        "four-cols.csv": b"x1,x2,label,z\n" + b"".join(b"%d,%d,%d,1\n" % (i, i, i % 2) for i in range(8)),
        "one-class.csv": b"x1,x2,label\n" + b"".join(b"%d,%d,1\n" % (i, i) for i in range(8)),
        "singletons.csv": b"x1,x2,label\n" + b"".join(b"%d,%d,%d\n" % (i, i, i) for i in range(8)),
        "long-field.csv": b"x1,x2,label\n" + b"1" * 200_000 + b",0,0\n1,1,1\n2,2,0\n3,3,1\n",
        "quotes.csv": b'x1,x2,label\n"0,0,0\n1,1,1\n',
        "same-point.csv": b"x1,x2,label\n" + b"".join(b"0,0,%d\n" % (i % 2) for i in range(8)),
        "labels-text.csv": b"x1,x2,label\n" + b"".join(b"%d,%d,%s\n" % (i, i, [b"a", b"b"][i % 2]) for i in range(8)),
    }
    paths = []
    for name, data in files.items():
        (root / name).write_bytes(data)
        paths.append(root / name)
    (root / "dir.csv").mkdir()
    paths += [root / "dir.csv", root / "missing.csv", root / "a-file.txt" / "x.csv", Path("/proc/self/mem.csv"),
              root / ("n" * 300 + ".csv"), root / ("d/" * 2100 + "x.csv"), root / "caf\udce9.csv"]
    (root / "a-file.txt").write_text("x")
    shutil.copy(_good_csv(root / "good.csv"), root / "caf\udce9.csv")  # a good file, but its name is no text
    return paths


def _int(rng: random.Random, valid: list[int]) -> str:
    return str(rng.choice(valid))


def _hostile_number(rng: random.Random) -> str:
    return rng.choice(HUGE + NEGATIVE + NONFINITE + GARBAGE + MAGNITUDES + ["0"])


def _hostile_steps(rng: random.Random) -> str:
    """A hostile step count: 10**6 steps of a tiny net is a valid run of half an hour, not a hostile one."""
    return rng.choice([v for v in HUGE + NEGATIVE + NONFINITE + GARBAGE + MAGNITUDES + ["0"] if v != str(10**6)])


def _train(rng: random.Random, env: Env, out: Path, force=None) -> list[str]:
    valid = {
        "--dataset": lambda: rng.choice(["moons", "xor", "circles", "gaussians", "checkerboard", "spirals",
                                         str(env.good_csv)]),
        "--n-samples": lambda: _int(rng, [16, 40]),
        "--noise": lambda: rng.choice(["0", "0.1"]),
        "--depth": lambda: _int(rng, [1, 2, 3]),
        "--width": lambda: _int(rng, [1, 3]),
        "--activation": lambda: rng.choice(["relu", "tanh", "leaky_relu", "identity"]),
        "--init": lambda: rng.choice(["he", "normal", "orthogonal", "lsuv", "torch-default"]),
        "--optimizer": lambda: rng.choice(["sgd", "adam"]),
        "--lr": lambda: rng.choice(["0.01", "1e6"]),
        "--steps": lambda: _int(rng, [1, 3]),
        "--batch-size": lambda: _int(rng, [1, 8, 10**6]),
        "--snapshots": lambda: _int(rng, [0, 2, 10**6]),
        "--snapshot-every": lambda: _int(rng, [0, 2]),
        "--seed": lambda: _int(rng, [0, 2**32 - 1]),
    }
    hostile = {
        "--dataset": lambda: rng.choice(["spiralz", "", "x.CSV", "a" * 5000, *map(str, env.bad_csvs)]),
        "--n-samples": lambda: _hostile_number(rng),
        "--noise": lambda: rng.choice(NONFINITE + NEGATIVE + GARBAGE + ["1e300", "1e200"]),
        "--depth": lambda: _hostile_number(rng),
        "--width": lambda: _hostile_number(rng),
        "--activation": lambda: rng.choice(["swish", "", "RELU", "relu "]),
        "--init": lambda: rng.choice(["magic", "", "HE"]),
        "--optimizer": lambda: rng.choice(["lbfgs", ""]),
        "--lr": lambda: rng.choice(NONFINITE + NEGATIVE + GARBAGE + ["0", "1e300"]),
        "--steps": lambda: _hostile_steps(rng),
        "--batch-size": lambda: _hostile_number(rng),
        "--snapshots": lambda: _hostile_number(rng),
        "--snapshot-every": lambda: _hostile_number(rng),
        "--seed": lambda: _hostile_number(rng),
        "--momentum": lambda: rng.choice(NONFINITE + NEGATIVE + MAGNITUDES + ["1", "0.999999"]),
        "--warmup-steps": lambda: _hostile_number(rng),
        "--schedule": lambda: rng.choice(["linear", "", "COSINE"]),
        "--clip-norm": lambda: rng.choice(NONFINITE + NEGATIVE + MAGNITUDES + ["0"]),
        "--out": lambda: rng.choice(env.hostile_outs()),
        "--device": lambda: rng.choice(["tpu", "cuda:99", "", "cpu:1", "meta", "mps"]),
    }
    base = {"--n-samples": "40", "--depth": "2", "--width": "3", "--steps": "2", "--out": str(out)}
    return ["train", *_options(rng, env, valid, hostile, base, force=force)]


def _options(rng: random.Random, env: Env, valid: dict, hostile: dict, base: dict, *, writable: bool = True,
             force: tuple[str, str] | None = None) -> list[str]:
    """``base`` with a few valid options added and one to three replaced by hostile values (a third of them
    from ``env.extreme``, whatever the option; ``writable=False``: no ``--out`` that could be written); or, with
    ``force = (option, value)``, that one option set to that value."""
    chosen = dict(base)
    for name in rng.sample(sorted(valid), k=rng.randint(0, min(3, len(valid)))):
        chosen[name] = valid[name]()
    for name in [] if force else rng.sample(sorted(hostile), k=rng.randint(1, min(3, len(hostile)))):
        extreme = env.extreme(rng, writable or name != "--out")
        chosen[name] = extreme if rng.random() < 1 / 3 else hostile[name]()
    if force:
        chosen[force[0]] = force[1]
    argv = [tok for name, value in chosen.items() for tok in ((name,) if value is None else (name, value))]
    if rng.random() < 0.05 and not force:
        argv.insert(rng.randrange(len(argv) + 1), rng.choice(["--bogus", "extra", "--force", "-h"]))
    return argv


def _study_grid(rng: random.Random, env: Env, out: Path, command: str, force=None) -> list[str]:
    def values() -> str:
        return rng.choice(["0", "-1", "1:5:0", "1:2:3:4", "a", "", ",", "nan", "inf", "1e400", "2,2", "1:3:1e9",
                           "1:3:1000000000", "1:1e12:3", "1e12", "3.5", "2:3:-4", str(10**6), "9" * 5000,
                           "1:nan:3", "0.5:inf:3"])

    common_valid = {"--width": lambda: _int(rng, [2, 3]), "--steps": lambda: _int(rng, [1, 2]),
                    "--n-samples": lambda: _int(rng, [16, 40]), "--lr": lambda: rng.choice(["0.01", "0.5"])}
    common_hostile = {"--width": lambda: _hostile_number(rng), "--steps": lambda: _hostile_steps(rng),
                      "--n-samples": lambda: _hostile_number(rng),
                      "--seeds": lambda: rng.choice([h for h in HUGE if h != str(10**6)] + NEGATIVE + GARBAGE),
                      "--lr": lambda: rng.choice(NONFINITE + NEGATIVE + GARBAGE),
                      "--activation": lambda: rng.choice(["swish", ""]),
                      "--out": lambda: rng.choice(env.hostile_outs()), "--depths": values}
    if command == "init-study":
        valid = {**common_valid, "--depths": lambda: rng.choice(["2", "1,2"]), "--schemes": lambda: "he"}
        hostile = {**common_hostile, "--schemes": lambda: rng.choice(["magic", "", ",", "he,he", "he," * 3000]),
                   "--dataset": lambda: rng.choice(["spiralz", *map(str, env.bad_csvs)])}
        base = {"--depths": "2", "--schemes": "he", "--seeds": "1", "--steps": "2", "--n-samples": "40",
                "--width": "3", "--out": str(out)}
    else:
        valid = {**common_valid, "--depths": lambda: rng.choice(["2", "2,3"]),
                 "--sigma-w2": lambda: rng.choice(["2", "1,2"]), "--optimizer": lambda: "adam"}
        hostile = {**common_hostile, "--sigma-w2": values, "--sigma-b2": values,
                   "--datasets": lambda: rng.choice(["spiralz", "", ",", "moons,moons", *map(str, env.bad_csvs)]),
                   "--optimizer": lambda: "lbfgs", "--device": lambda: rng.choice(["tpu", "cuda:99", ""]),
                   "--chunk": lambda: _hostile_number(rng), "--address": lambda: rng.choice(["auto", ""])}
        base = {"--depths": "2", "--sigma-w2": "2", "--seeds": "1", "--steps": "2", "--n-samples": "40",
                "--width": "3", "--out": str(out)}
    return [command, *_options(rng, env, valid, hostile, base, force=force)]


def _run_dir(rng: random.Random, env: Env) -> str:
    if rng.random() < 0.5:
        return str(rng.choice(env.broken_runs))
    if rng.random() < 0.2:
        return env.extreme(rng)
    return rng.choice([str(env.run), str(env.run), str(env.latin1_run), "", "/nonexistent", "/proc",
                       str(env.tmp / "a-file"), "a" * 5000, str(env.tmp / ("n" * 300))])


def _backproject(rng: random.Random, env: Env, out: Path, force=None) -> list[str]:
    valid = {"--layers": lambda: rng.choice(["all", "1", "-1", "1,3"]),
             "--view": lambda: rng.choice(["input", "embedded", "nonzero"]),
             "--grid": lambda: _int(rng, [2, 6]), "--animate": lambda: None,
             "--max-cond": lambda: rng.choice(["1e8", "inf", "1e12", "1"])}
    hostile = {"--layers": lambda: rng.choice(["0", "99", "-99", "a", "", "1,,2", "9" * 5000, str(2**64), ","]),
               "--view": lambda: rng.choice(["foo", "", "INPUT"]),
               "--max-cond": lambda: rng.choice(["0", "-1", "nan", "-inf", "x", ""]),
               "--grid": lambda: _hostile_number(rng), "--out": lambda: rng.choice(env.hostile_outs())}
    base = {"--grid": "4", "--out": str(out)}
    run = force[1] if force and force[0] == RUN_DIR else str(env.run) if force else _run_dir(rng, env)
    return ["backproject", run, *_options(rng, env, valid, hostile, base, force=_option(force))]


def _regions(rng: random.Random, env: Env, out: Path, force=None) -> list[str]:
    valid = {"--grid": lambda: _int(rng, [2, 8]), "--margin": lambda: rng.choice(["0", "0.5"]),
             "--colors": lambda: rng.choice(["hash", "random"]), "--animate": lambda: None}
    hostile = {"--grid": lambda: _hostile_number(rng),
               "--margin": lambda: rng.choice(NONFINITE + NEGATIVE + GARBAGE + MAGNITUDES + ["1e6", "1e12", "1e50"]),
               "--colors": lambda: rng.choice(["x", ""]), "--exact": lambda: None,
               "--box": lambda: rng.choice(["nan 0 0 1", "1 0 0 1", "0 0 0 0", "-inf inf -1 1", "0 1 0",
                                            "-1e308 1e308 -1e308 1e308", "0 1e-300 0 1e-300", "a b c d",
                                            "-1e12 1e12 -1 1", f"0 {10**40} 0 1", f"0 {10**400} 0 1",
                                            "1e38 3.4e38 0 1", "1e9 1000000001 0 1", "caf\udce9 1 0 1"]),
               "--out": lambda: rng.choice(env.hostile_outs())}
    base = {"--out": str(out)}
    run = force[1] if force and force[0] == RUN_DIR else str(env.run) if force else _run_dir(rng, env)
    argv = ["regions", run, *_options(rng, env, valid, hostile, base, force=_option(force))]
    return [tok for part in argv for tok in (part.split(" ") if part.count(" ") == 3 else [part])]


def _study(rng: random.Random, env: Env, out: Path, force=None) -> list[str]:
    hostile = {"--dataset": lambda: rng.choice(["spiralz", "", *map(str, env.bad_csvs)]),
               "--seed": lambda: rng.choice(NEGATIVE + NONFINITE + GARBAGE + [str(2**32), str(2**64), "9" * 5000]),
               "--lang": lambda: rng.choice(["fr", "", "DE"]),
               "--out": lambda: rng.choice(env.hostile_outs(writable=False))}  # a valid case runs the whole study
    base = {"--quick": None, "--out": str(out)}
    return ["study", *_options(rng, env, {"--quick": lambda: None}, hostile, base, writable=False, force=force)]


def _option(force: tuple[str, str] | None) -> tuple[str, str] | None:
    """``force`` unless it names the run directory (an argument, not an option)."""
    return None if force is None or force[0] == RUN_DIR else force


RUN_DIR = "RUN_DIR"
COMMANDS = {"train": _train, "init-study": lambda r, e, o, f=None: _study_grid(r, e, o, "init-study", f),
            "sweep": lambda r, e, o, f=None: _study_grid(r, e, o, "sweep", f), "backproject": _backproject,
            "regions": _regions, "study": _study}


def case(i: int, env: Env) -> list[str]:
    """Command line ``i`` of the battery (the same for every run)."""
    rng = random.Random(i)
    command = rng.choice(sorted(COMMANDS))
    return COMMANDS[command](rng, env, env.tmp / "out" / str(i))


def grid_cases(env: Env) -> list[list[str]]:
    """Every option (and run directory) of every command set to every value of ``EXTREMES`` in turn, on an
    otherwise valid command line; ``--out`` to the magnitudes of ``OUT_MAGNITUDES`` only, and ``study --out`` only
    to the names no directory can be written under."""
    from reluscope.cli.app import app

    cases = []
    for command, build in COMMANDS.items():
        params = app.get_command(None, command).params
        names = [p.opts[0] for p in params if p.opts[0].startswith("--") and not p.is_flag]
        names += [RUN_DIR] if command in ("backproject", "regions") else []
        for name in names:
            values = [v for v in EXTREMES if name != "--out" or v not in MAGNITUDES or v in OUT_MAGNITUDES]
            for value in values if (command, name) != ("study", "--out") else ["\ud800", *LONG]:
                value = " ".join([value] * 4) if name == "--box" else value
                rng = random.Random(len(cases))
                cases.append(build(rng, env, env.tmp / "out" / f"grid-{len(cases)}", (name, value)))
    return cases


class Hang(BaseException):
    """A case ran past its timeout (BaseException: no ``except Exception`` in the library swallows it)."""


@contextmanager
def alarm(seconds: float):
    def fire(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_case(argv: list[str], timeout: float) -> str | None:
    """What is wrong with how ``reluscope argv`` ended (None: nothing)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, redirect_stdout(out), redirect_stderr(err), \
                alarm(timeout):
            warnings.simplefilter("always")
            code = main(argv)
    except Hang as e:
        return f"hang: {e}"
    except BaseException:  # noqa: BLE001 - a traceback is the finding
        lines = [line if len(line) < 300 else line[:300] + "…" for line in traceback.format_exc().splitlines()]
        return "traceback:\n" + "\n".join(lines[-30:])
    lines = err.getvalue().splitlines()
    if caught:
        return f"warning: {caught[0].category.__name__}: {caught[0].message}"
    if code == 0:
        return None
    if code != 2:
        return f"exit {code}: {err.getvalue()[-500:]}"
    if len(lines) != 1 or not lines[0].startswith("reluscope: error: "):
        return f"exit 2 with stderr {err.getvalue()[-800:]!r}"
    return None
