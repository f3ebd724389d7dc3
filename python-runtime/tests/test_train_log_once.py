"""train.log holds each line once, whether or not the launcher already points stdout at it."""

import subprocess
import sys

SCRIPT = "import sys; from tunedesk.run_output import TrainLog; t = TrainLog(sys.argv[1]); print('hello'); t.close()"


def test_line_written_once_when_stdout_is_train_log(tmp_path):
    with open(tmp_path / "train.log", "a") as log:
        subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], stdout=log, stderr=log, check=True)
    assert (tmp_path / "train.log").read_text().count("hello") == 1


def test_line_copied_when_stdout_is_a_terminal_or_pipe(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.count("hello") == 1
    assert (tmp_path / "train.log").read_text().count("hello") == 1
