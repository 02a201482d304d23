"""Typed answers: numbers within a tolerance, expressions checked for equivalence, hostile input refused."""

from __future__ import annotations

import time

import pytest
import sympy

from quizapp.answers import AnswerError, check_answer, equivalence, parse_expression, parse_number
from quizapp.answers.equivalence import equivalent
from quizapp.answers.worker import spot_check

WINDOW = {"expr": "1/(1 - beta)", "symbols": ["beta"]}
ADAM = {
    "expr": "theta - eta*(m/(1 - beta1**t))/(sqrt(v/(1 - beta2**t)) + epsilon)",
    "symbols": ["theta", "eta", "m", "v", "beta1", "beta2", "t", "epsilon"],
}
ADAMW = {
    "expr": "theta - eta*(m/(sqrt(v) + epsilon) + lambda_*theta)",
    "symbols": ["theta", "eta", "m", "v", "epsilon", "lambda_"],
}
COSINE = {
    "expr": "eta_min + (eta_max - eta_min)*(1 + cos(pi*t/T))/2",
    "symbols": ["eta_min", "eta_max", "t", "T"],
}


# ------------------------------------------------------------------------------------------------ numeric


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0.001", 0.001),
        ("1e-3", 0.001),
        (" 1E-3 ", 0.001),
        ("1/1000", 0.001),
        ("0.1%", 0.001),
        (".001", 0.001),
        ("\u22122.5", -2.5),
        ("+4", 4.0),
    ],
)
def test_numbers_are_read_in_common_forms(typed: str, value: float) -> None:
    assert parse_number(typed) == pytest.approx(value)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Type a number"),
        ("ten", "is not a number"),
        ("1,000", "without thousands separators"),
        ("1/0", "divides by zero"),
        ("1e999", "too large"),
        ("9" * 100, "too long"),
        ("2**10", "is not a number"),
    ],
)
def test_junk_numbers_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(AnswerError, match=reason):
        parse_number(typed)


def test_numeric_answer_within_absolute_tolerance_is_correct() -> None:
    spec = {"value": 10, "tolerance": 0.05, "unit": "steps"}
    result = check_answer("numeric", spec, "10.04")
    assert result.correct
    assert result.normalized == "10.04"
    assert result.expected_latex == "10\\ \\text{steps}"
    assert not check_answer("numeric", spec, "10.06").correct


def test_numeric_answer_with_relative_tolerance() -> None:
    spec = {"value": 1000, "rel_tolerance": 0.01}
    assert check_answer("numeric", spec, "1009").correct
    wrong = check_answer("numeric", spec, "1011")
    assert not wrong.correct
    assert "1000" in wrong.message and "± 10" in wrong.message


def test_exact_tolerance_boundary_survives_float_rounding() -> None:
    assert check_answer("numeric", {"value": 0.1, "tolerance": 0.1}, "0.2").correct


def test_unreadable_number_is_wrong_with_a_message_not_an_exception() -> None:
    result = check_answer("numeric", {"value": 0.9, "tolerance": 0.01}, "zero point nine")
    assert not result.correct
    assert "not a number" in result.message
    assert result.expected_latex == "0.9"
    assert result.normalized == ""


def test_large_and_small_expected_values_render_in_scientific_latex() -> None:
    assert check_answer("numeric", {"value": 1e18, "rel_tolerance": 0.01}, "1e18").expected_latex == "10^{18}"
    small = check_answer("numeric", {"value": 2.5e-8, "rel_tolerance": 0.01}, "2.5e-8")
    assert small.correct
    assert small.expected_latex == "2.5 \\times 10^{-8}"


# ----------------------------------------------------------------------------------------------- symbolic


@pytest.mark.parametrize(
    ("spec", "typed"),
    [
        (WINDOW, "1/(1-beta)"),
        (WINDOW, "-1/(beta-1)"),
        (WINDOW, "1/(1 - β)"),
        (WINDOW, "(1-beta)^-1"),
        (ADAM, "theta - eta*m/(1-beta1^t)/(sqrt(v/(1-beta2^t))+eps)"),
        (ADAM, "theta - eta m / ((1 - beta1^t) (sqrt(v)/sqrt(1 - beta2^t) + epsilon))"),
        (ADAMW, "theta(1 - eta lambda) - eta m/(sqrt(v) + epsilon)"),
        (ADAMW, "(1 - eta*λ)*theta - eta*m/(sqrt(v) + ε)"),
        (COSINE, "eta_max - (eta_max - eta_min)*(1 - cos(pi*t/T))/2"),
        ({"expr": "sign(g)*eta", "symbols": ["g", "eta"]}, "eta*g/abs(g)"),
        ({"expr": "beta*m + (1 - beta)*g", "symbols": ["beta", "m", "g"]}, "m*beta + g - beta*g"),
    ],
)
def test_equivalent_forms_are_accepted(spec: dict[str, object], typed: str) -> None:
    result = check_answer("symbolic", spec, typed)
    assert result.correct, result.message


@pytest.mark.parametrize(
    ("spec", "typed"),
    [
        (WINDOW, "1/(1+beta)"),
        (WINDOW, "1/(1-beta^2)"),
        (WINDOW, "beta/(1-beta)"),
        (ADAM, "theta - eta*m/(1-beta1^t)/sqrt(v/(1-beta2^t) + epsilon)"),  # epsilon inside the root
        (ADAM, "theta - eta*m/(1-beta1^(t+1))/(sqrt(v/(1-beta2^(t+1)))+epsilon)"),  # off-by-one step
        (ADAM, "theta + eta*m/(1-beta1^t)/(sqrt(v/(1-beta2^t))+epsilon)"),  # wrong sign
        ({"expr": "eta*g", "symbols": ["g", "eta"]}, "eta*abs(g)"),
        ({"expr": "beta*m + (1 - beta)*g", "symbols": ["beta", "m", "g"]}, "beta*m + g"),
    ],
)
def test_near_misses_are_refused(spec: dict[str, object], typed: str) -> None:
    result = check_answer("symbolic", spec, typed)
    assert not result.correct
    assert result.message == "Not equivalent to the expected expression."


HOSTILE = [
    ("__import__('os').system('x')", "not"),
    ("().__class__", "double underscore"),
    ("beta.__class__", "double underscore"),
    ("beta.real", "decimal point"),
    ("lambda: 1", "not ':'"),
    ("9**9**9**9", "too large"),
    ("9^9^9", "too large"),
    ("beta**100000", "Exponents are limited"),
    ("(10**100)**(10**100)", "too large"),
    ("x**100000", "Unknown name 'x'"),
    ("os", "Unknown name 'os'"),
    ("exec", "Unknown name 'exec'"),
    ("beta" * 2500, "too long"),
    ("(" * 30 + "beta" + ")" * 30, "nested parentheses"),
    ("beta)", "no matching opening"),
    ("beta; 1", "not ';'"),
    ("beta = 1", "not '='"),
    ("[beta]", "not '['"),
    ("f'{beta}'", "not"),
    ("beta, beta", "single expression"),
    ("1 +* beta", "Could not read"),
]


@pytest.mark.parametrize(("typed", "reason"), HOSTILE, ids=[h[0][:24] for h in HOSTILE])
def test_hostile_input_is_refused_fast_with_a_message(typed: str, reason: str) -> None:
    started = time.monotonic()
    result = check_answer("symbolic", WINDOW, typed)
    elapsed = time.monotonic() - started
    assert not result.correct
    assert reason in result.message
    assert result.normalized == ""
    assert result.expected_latex == "\\frac{1}{1 - \\beta}"
    assert elapsed < 1.0, f"took {elapsed:.2f}s"


def test_expected_answer_is_latex_with_greek_letters() -> None:
    assert check_answer("symbolic", ADAMW, "theta").expected_latex == (
        "- \\eta \\left(\\lambda \\theta + \\frac{m}{\\epsilon + \\sqrt{v}}\\right) + \\theta"
    )
    adam = check_answer("symbolic", ADAM, "theta").expected_latex
    assert "\\beta_{1}^{t}" in adam and "\\beta_{2}^{t}" in adam


def test_parse_expression_returns_sympy_with_declared_symbols() -> None:
    expression = parse_expression("2 beta1 m", ["beta1", "m"])
    beta1, m = sympy.symbols("beta1 m", real=True)
    assert expression == 2 * beta1 * m


def test_undeclared_symbol_names_the_allowed_ones() -> None:
    with pytest.raises(AnswerError, match=r"Unknown name 'mt'.*beta1, m, t"):
        parse_expression("beta1*mt", ["beta1", "m", "t"])


@pytest.mark.parametrize("name", ["sqrt", "__x", "1a", "a b", "x__y"])
def test_bad_symbol_declarations_are_refused(name: str) -> None:
    with pytest.raises(AnswerError, match="cannot be a symbol name"):
        parse_expression("1", [name])


def test_misconfigured_card_answer_is_reported_not_raised() -> None:
    result = check_answer("symbolic", {"expr": "1/(1 - rho)", "symbols": ["beta"]}, "1")
    assert not result.correct
    assert "misconfigured" in result.message


@pytest.mark.parametrize("typed", [None, 10, ["1"], {"a": 1}])
def test_non_text_answers_are_refused_not_raised(typed: object) -> None:
    result = check_answer("numeric", {"value": 10, "tolerance": 1}, typed)  # type: ignore[arg-type]
    assert not result.correct
    assert "as text" in result.message


def test_other_kinds_take_no_typed_answer() -> None:
    assert "take no typed answer" in check_answer("basic", {}, "x").message


def test_spot_check_separates_abs_from_identity() -> None:
    g = sympy.Symbol("g", real=True)
    assert spot_check(sympy.Abs(g), g) is False
    assert spot_check(g * 2, g + g) is True


def test_out_of_time_check_is_killed_and_the_next_one_works() -> None:
    assert equivalent("1/(1 - beta)", "-1/(beta - 1)", ["beta"], time_limit_s=0.0) == "timeout"
    assert equivalent("1/(1 - beta)", "-1/(beta - 1)", ["beta"]) == "equal"
    assert equivalent("1/(1 - beta)", "1/(1 + beta)", ["beta"]) == "different"


def test_a_worker_that_died_is_replaced() -> None:
    assert equivalent("beta", "beta", ["beta"]) == "equal"
    process = equivalence._WORKER._process
    assert process is not None
    process.kill()
    process.wait()
    assert equivalent("beta", "2*beta/2", ["beta"]) == "equal"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("√v", "sqrt(v)"),
        ("2·β", "2*beta"),
        ("β²", "beta**2"),
        ("eta g/√v", "eta*g/sqrt(v)"),
        ("λ", "lambda_"),
    ],
)
def test_typographic_input_means_its_ascii_spelling(typed: str, written: str) -> None:
    symbols = ["v", "beta", "eta", "g", "lambda_"]
    assert parse_expression(typed, symbols) == parse_expression(written, symbols)


# ------------------------------------------------------------------------------ units, percent, assumptions

PERCENT = {"value": 2, "tolerance": 0.01, "unit": "percent"}
GIGABYTES = {"value": 8, "tolerance": 0.01, "unit": "GB"}
STEPS = {"value": 3000, "tolerance": 0.5, "unit": "steps"}


@pytest.mark.parametrize("typed", ["2", "2%", "2 %", "2 percent", "2.0 Percent", "2pct"])
def test_a_percent_typed_on_a_percent_card_means_that_percent(typed: str) -> None:
    assert check_answer("numeric", PERCENT, typed).correct


def test_a_fraction_typed_for_a_percentage_is_wrong_and_says_how_to_fix_it() -> None:
    result = check_answer("numeric", PERCENT, "0.02")
    assert not result.correct
    assert "asks for a percentage" in result.message and "type 2 or 2%" in result.message


def test_a_percent_sign_on_a_card_without_unit_still_means_hundredths() -> None:
    assert check_answer("numeric", {"value": 0.1, "tolerance": 0.001}, "10%").correct


@pytest.mark.parametrize(
    ("spec", "typed"),
    [(GIGABYTES, "8 GB"), (GIGABYTES, "8gb"), (GIGABYTES, "8"), (STEPS, "3000 steps"), (STEPS, "3000 step")],
)
def test_the_cards_own_unit_may_follow_the_number(spec: dict[str, object], typed: str) -> None:
    result = check_answer("numeric", spec, typed)
    assert result.correct, result.message


@pytest.mark.parametrize(
    ("spec", "typed", "reason"),
    [
        (GIGABYTES, "8 MB", "This card's answer is in GB, not MB"),
        (STEPS, "3000 epochs", "This card's answer is in steps, not epochs"),
        ({"value": 16, "tolerance": 0.01}, "16 GB", "This card's answer has no unit"),
        (STEPS, "3000 " + "s" * 40, "is not a unit"),
    ],
)
def test_another_unit_is_refused_with_a_clear_message(
    spec: dict[str, object], typed: str, reason: str
) -> None:
    result = check_answer("numeric", spec, typed)
    assert not result.correct
    assert reason in result.message


def test_a_wrong_number_in_the_right_unit_is_wrong() -> None:
    result = check_answer("numeric", GIGABYTES, "4 GB")
    assert not result.correct and result.message.startswith("Not quite: 4 GB is off")


def test_plain_number_parsing_refuses_a_unit() -> None:
    with pytest.raises(AnswerError, match="without 'GB'"):
        parse_number("8 GB")


ADAGRAD_RATE = {
    "expr": "eta/(g*sqrt(t))",
    "symbols": ["eta", "g", "t"],
    "assume": {"eta": "positive", "g": "positive", "t": "positive"},
}


def test_declared_positive_symbols_accept_answers_that_rely_on_it() -> None:
    assert check_answer("symbolic", ADAGRAD_RATE, "eta/sqrt(t*g^2)").correct
    undeclared = {key: value for key, value in ADAGRAD_RATE.items() if key != "assume"}
    assert not check_answer("symbolic", undeclared, "eta/sqrt(t*g^2)").correct


def test_declared_assumptions_still_refuse_wrong_answers() -> None:
    assert not check_answer("symbolic", ADAGRAD_RATE, "eta/sqrt(t)").correct
    assert not check_answer("symbolic", ADAGRAD_RATE, "-eta/(g*sqrt(t))").correct


def test_nonzero_symbols_are_still_sampled_on_both_sides_of_zero() -> None:
    spec = {"expr": "g/abs(g)", "symbols": ["g"], "assume": {"g": "nonzero"}}
    assert check_answer("symbolic", spec, "sign(g)").correct
    assert not check_answer("symbolic", spec, "1").correct


@pytest.mark.parametrize(
    ("assume", "reason"),
    [
        ({"x": "positive"}, "not one of the declared symbols"),
        ({"g": "huge"}, "must be one of"),
        ("g", "must map"),
    ],
)
def test_bad_assumptions_make_the_card_misconfigured(assume: object, reason: str) -> None:
    spec = {"expr": "g", "symbols": ["g"], "assume": assume}
    result = check_answer("symbolic", spec, "g")
    assert not result.correct and "misconfigured" in result.message and reason in result.message
