"""`quizapp grade DRILL FILE` and `quizapp drills list`: exit codes, the JSON and the human report.

These run the real grader in the real sandbox; no database or app configuration is involved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.drills import QUESTIONS_DIR
from support.submissions import SAMPLE_SUBMISSIONS, SGD_CORRECT

from quizapp.grader import sandbox as sandbox_module
from quizapp.grader.cli import drills_group, grade_command

needs_bwrap = pytest.mark.skipif(
    not sandbox_module.bubblewrap_available(), reason="bubblewrap is not installed"
)


def invoke(*args: str):
    return CliRunner().invoke(grade_command, list(args), catch_exceptions=False)


@needs_bwrap
def test_passing_submission_exits_0_and_json_is_the_verdict() -> None:
    result = invoke("adam", str(SAMPLE_SUBMISSIONS / "adam_numpy.py"), "--json", "--seed", "5")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert (verdict["drill"], verdict["verdict"], verdict["seed"]) == ("adam", "passed", 5)
    assert verdict["framework"] == "numpy"
    assert all(case["passed"] for case in verdict["cases"])


@needs_bwrap
def test_failing_submission_exits_1_and_shows_diagnosis_card_and_divergence() -> None:
    result = invoke("adam", str(SAMPLE_SUBMISSIONS / "adam_numpy_no_bias_correction.py"), "--seed", "5")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("adam: FAILED")
    assert "first divergence at step" in result.output
    assert "[no-bias-correction]" in result.output
    assert "review card: adam-bias-correction-why" in result.output
    assert "max rel err" in result.output


@needs_bwrap
def test_torch_file_is_graded_as_torch_on_cpu() -> None:
    result = invoke("adam", str(SAMPLE_SUBMISSIONS / "adam_torch.py"), "--json", "--device", "cpu")
    verdict = json.loads(result.output)
    assert (verdict["verdict"], verdict["framework"], verdict["device"]) == ("passed", "torch", "cpu")
    assert result.exit_code == 0


def test_unknown_drill_is_a_usage_error() -> None:
    result = invoke("adamax", str(SAMPLE_SUBMISSIONS / "adam_numpy.py"))
    assert result.exit_code == 2
    assert "There is no drill named 'adamax'" in result.output
    assert "quizapp drills list" in result.output


@needs_bwrap
def test_a_byte_order_mark_some_editors_write_is_not_code(tmp_path: Path) -> None:
    marked = tmp_path / "adam.py"
    marked.write_bytes(b"\xef\xbb\xbf" + (SAMPLE_SUBMISSIONS / "adam_numpy.py").read_bytes())
    result = invoke("adam", str(marked), "--json", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == "passed"


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("adam", str(tmp_path / "nope.py"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def _unreadable_inputs(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Inputs `quizapp grade` cannot grade, each with the words its one-line error must contain."""
    (tmp_path / "huge.py").write_bytes(b"x = 1\n" * 1_000_000)
    (tmp_path / "latin1.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (tmp_path / "adam.pyc").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "folder").mkdir()
    return {
        "dev-zero": ("/dev/zero", "over 20000 bytes"),
        "huge": (str(tmp_path / "huge.py"), "over 20000 bytes"),
        "non-utf8": (str(tmp_path / "latin1.py"), "not UTF-8 text"),
        "binary": (str(tmp_path / "adam.pyc"), "binary file"),
        "directory": (str(tmp_path / "folder"), "is a directory"),
        "missing": (str(tmp_path / "nope.py"), "does not exist"),
    }


@pytest.mark.parametrize("case", ["dev-zero", "huge", "non-utf8", "binary", "directory", "missing"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_unreadable_input_is_one_line_error_with_exit_2(tmp_path: Path, case: str, as_json: bool) -> None:
    path, words = _unreadable_inputs(tmp_path)[case]
    result = CliRunner().invoke(grade_command, ["adam", path, *(["--json"] if as_json else [])])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and words in result.output
    assert result.output.count("\n") == 1  # one line, no usage text and no traceback


def test_grader_failure_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import quizapp.grader

    def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("out of memory while grading")

    monkeypatch.setattr(quizapp.grader, "grade", broken)
    result = CliRunner().invoke(grade_command, ["adam", str(SAMPLE_SUBMISSIONS / "adam_numpy.py")])
    assert result.exit_code == 2
    assert result.output == "Error: the grader failed: MemoryError: out of memory while grading\n"


def test_bad_option_is_a_usage_error() -> None:
    result = invoke("adam", str(SAMPLE_SUBMISSIONS / "adam_numpy.py"), "--device", "tpu")
    assert result.exit_code == 2
    assert "'tpu' is not one of" in result.output


@pytest.mark.skipif(sandbox_module._gpu_present(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_usage_error() -> None:
    result = invoke("adam", str(SAMPLE_SUBMISSIONS / "adam_torch.py"), "--device", "cuda")
    assert result.exit_code == 2
    assert "no NVIDIA GPU" in result.output


def test_missing_bubblewrap_is_reported_not_graded(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> str:
        raise sandbox_module.SandboxUnavailable("bubblewrap (bwrap) is not installed")

    monkeypatch.setattr(sandbox_module, "_find_bwrap", unavailable)
    result = invoke("adam", str(SAMPLE_SUBMISSIONS / "adam_numpy.py"))
    assert result.exit_code == 2
    assert "bubblewrap (bwrap) is not installed" in result.output


def test_unsafe_flag_grades_without_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module, "_find_bwrap", lambda: pytest.fail("bwrap must not be needed"))
    result = invoke("adam", str(SAMPLE_SUBMISSIONS / "adam_numpy.py"), "--unsafe-no-sandbox", "--json")
    assert json.loads(result.output)["verdict"] == "passed"
    assert result.exit_code == 0


def test_drills_list_shows_every_drill_with_topic_and_frameworks() -> None:
    result = CliRunner().invoke(drills_group, ["list"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["slug", "topic", "title", "frameworks"]
    adam = next(line for line in lines if line.startswith("adam "))
    assert "adam-family" in adam and "numpy, torch" in adam
    assert {line.split()[0] for line in lines[1:]} >= {"sgd", "adam", "muon", "clip-grad-norm"}


def test_commands_are_registered_on_the_quizapp_cli() -> None:
    from quizapp.cli import PROJECT_COMMANDS, project_command

    names = {project_command(name).name for name in PROJECT_COMMANDS}
    assert {"grade", "drills"} <= names


def _custom_bank(tmp_path: Path, drill_text: str | None = None) -> Path:
    """A questions folder holding only the shipped `sgd` drill, retitled and graded on the bowl, 7 steps."""
    text = (QUESTIONS_DIR / "drills" / "sgd.yaml").read_text(encoding="utf-8")
    text = text.replace("title: Plain SGD step", "title: Custom SGD").replace("steps: 25", "steps: 7")
    text = text.replace("problems: [bowl, ravine, noisy-least-squares]", "problems: [bowl]")
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "sgd.yaml").write_text(drill_text or text, encoding="utf-8")
    return tmp_path


def test_drills_list_reads_the_bank_in_questions_dir_or_the_option(tmp_path: Path) -> None:
    bank = str(_custom_bank(tmp_path))
    by_setting = CliRunner(env={"QUESTIONS_DIR": bank}).invoke(drills_group, ["list"], catch_exceptions=False)
    by_option = CliRunner().invoke(drills_group, ["list", "--questions-dir", bank], catch_exceptions=False)

    for result in (by_setting, by_option):
        assert result.exit_code == 0, result.output
        assert [line.split()[0] for line in result.output.splitlines()[1:]] == ["sgd"]
        assert "Custom SGD" in result.output


@needs_bwrap
def test_grade_grades_against_the_drill_of_the_chosen_bank(tmp_path: Path) -> None:
    source = tmp_path / "sgd.py"
    source.write_text(SGD_CORRECT)
    (tmp_path / "bank").mkdir()
    bank = str(_custom_bank(tmp_path / "bank"))

    result = invoke("sgd", str(source), "--json", "--seed", "3", "--questions-dir", bank)

    assert result.exit_code == 0, result.output
    cases = json.loads(result.output)["cases"]
    assert [(case["problem"], case["steps"]) for case in cases] == [("bowl", 7)]


def test_a_bank_whose_drills_do_not_load_is_a_one_line_error(tmp_path: Path) -> None:
    bank = str(_custom_bank(tmp_path, drill_text="slug: sgd\n"))
    source = str(SAMPLE_SUBMISSIONS / "adam_numpy.py")
    result = CliRunner().invoke(grade_command, ["sgd", source, "--questions-dir", bank])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: the drills in {bank} have ")
    assert "drills/sgd.yaml:1: `topic` must be non-empty text" in result.output
    assert "quizapp questions check" in result.output and result.output.count("\n") == 1
