"""Application numbers (check digit), publication numbers, IPC codes and patent terms."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.patents.models import PatentType, expiry_date, term_years
from marketplace.patents.numbers import (
    NumberError,
    canonical_application_number,
    canonical_ipc_list,
    canonical_publication_number,
    check_digit,
    parse_ipc,
    type_from_application_number,
    type_from_publication_number,
)

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def app_context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize("text, canonical", [
    ("CN202211740332.4", "202211740332.4"),
    ("201710601862.3", "201710601862.3"),
    ("CN202121635235.X", "202121635235.X"),
    ("CN201810336559.X", "201810336559.X"),
    ("95115608.X", "95115608.X"),
    ("2017106018623", "201710601862.3"),  # without the dot
    ("cn 202211740332.4", "202211740332.4"),  # lower case prefix, a space
    ("ZL202121635235.x", "202121635235.X"),
])
def test_real_application_numbers_validate_to_one_form(text, canonical):
    assert canonical_application_number(text) == canonical


@pytest.mark.parametrize("text", ["CN202310123456.7", "201710601862.4", "2017106018", "ABCDEFGHIJKL.3", "", "CN202211740332.44"])
def test_bad_application_numbers_are_rejected_with_a_reason(text):
    with pytest.raises(NumberError) as error:
        canonical_application_number(text)
    assert "申请号" in str(error.value)


def test_wrong_check_digit_message_names_the_right_digit():
    with pytest.raises(NumberError, match="校验位应为 6"):
        canonical_application_number("CN202310123456.7")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_12_digit_body_has_exactly_one_valid_check_digit(body):
    valid = [c for c in "0123456789X" if _accepts(f"{body}.{c}")]
    assert valid == [check_digit(body)]
    assert canonical_application_number(f"CN{body}{valid[0]}") == f"{body}.{valid[0]}"


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_old_8_digit_numbers_use_weights_2_to_9(body):
    expected = sum(int(d) * w for d, w in zip(body, range(2, 10), strict=True)) % 11
    digit = "X" if expected == 10 else str(expected)
    assert canonical_application_number(f"{body}.{digit}") == f"{body}.{digit}"


def _accepts(text: str) -> bool:
    try:
        canonical_application_number(text)
    except NumberError:
        return False
    return True


def test_type_from_numbers():
    assert type_from_application_number("202211740332.4") == "invention"
    assert type_from_application_number("202121635235.X") == "utility"
    assert type_from_publication_number("CN116510786B") == "invention"
    assert type_from_publication_number("CN218751475U") == "utility"
    assert type_from_publication_number("CN305123456S") == "design"
    assert canonical_publication_number("cn 116510786 b") == "CN116510786B"
    with pytest.raises(NumberError):
        canonical_publication_number("US1234567B2")


@pytest.mark.parametrize("text, code, subclass", [
    ("G06F16/35", "G06F16/35", "G06F"),
    ("G06F 16/35", "G06F16/35", "G06F"),
    ("g06f  16 / 35", "G06F16/35", "G06F"),
    ("H01M10/052", "H01M10/052", "H01M"),
    ("A61K0031/4709", "A61K31/4709", "A61K"),
    ("B64U101/30", "B64U101/30", "B64U"),
    ("A01M", "A01M", "A01M"),
])
def test_ipc_codes_parse_to_a_canonical_form(text, code, subclass):
    ipc = parse_ipc(text)
    assert ipc.code == code and ipc.subclass == subclass


@pytest.mark.parametrize("text", ["I06F16/35", "G6F16/35", "G06F16", "G06F16/3", "G06F12345/35", "G06", "", "G06F16/1234567"])
def test_malformed_ipc_codes_are_rejected(text):
    with pytest.raises(NumberError, match="IPC"):
        parse_ipc(text)


def test_subclass_only_can_be_refused():
    with pytest.raises(NumberError):
        parse_ipc("G06F", allow_subclass_only=False)


def test_ipc_list_keeps_main_first_and_drops_duplicates():
    assert canonical_ipc_list("G06F 16/35; H01M10/052，G06F16/35") == ["G06F16/35", "H01M10/052"]
    assert canonical_ipc_list(["B01J31/24", "C07F9/50"]) == ["B01J31/24", "C07F9/50"]


@pytest.mark.parametrize("patent_type, filed, years, expires", [
    (PatentType.invention, date(2017, 6, 1), 20, date(2037, 5, 31)),
    (PatentType.utility, date(2021, 7, 15), 10, date(2031, 7, 14)),
    (PatentType.design, date(2021, 6, 1), 15, date(2036, 5, 31)),  # filed on the day the rule changed
    (PatentType.design, date(2021, 5, 31), 10, date(2031, 5, 30)),  # the day before: 10 years
    (PatentType.invention, date(2020, 2, 29), 20, date(2040, 2, 28)),  # leap day
    # the anniversary of 29 February is 28 February in a common year (dates.add_years): the
    # term ends the day before
    (PatentType.utility, date(2012, 2, 29), 10, date(2022, 2, 27)),
])
def test_terms_run_from_the_filing_date(patent_type, filed, years, expires):
    assert term_years(patent_type, filed) == years
    assert expiry_date(patent_type, filed) == expires


def test_expiry_is_unknown_without_a_filing_date():
    assert expiry_date(PatentType.invention, None) is None
