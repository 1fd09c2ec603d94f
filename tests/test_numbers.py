"""Numbers as each language writes them (``reluscope.report.numbers``, Babel's CLDR data): the decimal sign,
powers of ten with a superscript exponent, thin-space groups from 10 000 up, the locale's percent; read back to
the digits written; a text's placeholders and a figure's tick labels in the text's language."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reluscope.report.texts
from reluscope.plots.style import plt
from reluscope.plots.ticks import DecimalSignFormatter, with_decimal_sign
from reluscope.report.numbers import GROUP, TIMES, decimal_sign, number, parse_number
from reluscope.report.texts import Texts

CASES = [  # value, spec, English, German
    (0.5, "g", "0.5", "0,5"),
    (0.98012, ".3f", "0.980", "0,980"),
    (2.0, "g", "2", "2"),
    (1.5e12, ".3g", f"1.5{TIMES}10¹²", f"1,5{TIMES}10¹²"),
    (3.2e-9, ".2e", f"3.20{TIMES}10⁻⁹", f"3,20{TIMES}10⁻⁹"),
    (7.26, ".2e", "7.26", "7,26"),
    (58024, "", f"58{GROUP}024", f"58{GROUP}024"),
    (np.int64(4096), "", "4096", "4096"),
    (12345.678, ".1f", f"12{GROUP}345.7", f"12{GROUP}345,7"),
    (0.634, ".0%", "63%", "63\xa0%"),
    (-2.5, "g", "-2.5", "-2,5"),
    (np.float32(0.25), ".3f", "0.250", "0,250"),
    (math.inf, ".3g", "∞", "∞"),
]


@pytest.mark.parametrize("value, spec, en, de", CASES)
def test_a_number_is_written_as_each_language_writes_it(value, spec, en, de):
    assert number(value, spec, "en") == en and number(value, spec, "de") == de


def test_what_is_not_a_number_is_formatted_by_python():
    assert number("spirals", "", "de") == "spirals" and number(True, "", "de") == "True"
    assert number(7, ">3", "de") == "  7"  # a spec the formatter does not read


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False), st.sampled_from([".3g", ".4g", ".2e", ".3f", "g"]),
       st.sampled_from(["en", "de"]))
def test_a_written_number_reads_back_to_its_digits(value, spec, lang):
    written = number(value, spec, lang)
    assert parse_number(written, lang) == pytest.approx(float(format(value, spec)), rel=1e-12, abs=1e-300)


def test_a_german_text_is_not_read_as_english_and_text_is_no_number():
    for text in ("1.5", "abc", "1,5 x", f"2{TIMES}3"):
        with pytest.raises(ValueError):
            parse_number(text, "de")


def test_a_placeholder_is_filled_in_the_texts_language_and_set_as_text_inside_math(monkeypatch):
    text = "{{x:.3g}} and $a = {{x:.3g}}$, $n = {{n}}$"
    monkeypatch.setattr(reluscope.report.texts, "catalog", lambda name: {"de": {"k": text}})
    assert Texts("any", "de")("k", x=0.5, n=32) == "0,5 and $a = \\text{0,5}$, $n = 32$"


def test_a_german_figure_has_a_decimal_comma_in_every_tick_label():
    fig, (ax, log) = plt.subplots(1, 2)
    ax.plot([0, 1], [0.1, 0.35])
    log.plot([1, 100], [0.001, 0.5])
    log.set_yscale("log")
    with_decimal_sign(fig, decimal_sign("de"))
    fig.canvas.draw()
    labels = [t.get_text() for a in fig.axes for axis in (a.xaxis, a.yaxis) for t in axis.get_ticklabels()]
    plt.close(fig)
    assert any("," in label for label in labels) and not any("." in label for label in labels), labels
    assert all(isinstance(a.yaxis.get_major_formatter(), DecimalSignFormatter) for a in fig.axes)


def test_an_english_figure_keeps_its_formatters():
    fig, ax = plt.subplots()
    before = ax.xaxis.get_major_formatter()
    assert with_decimal_sign(fig, decimal_sign("en")).axes[0].xaxis.get_major_formatter() is before
    plt.close(fig)
