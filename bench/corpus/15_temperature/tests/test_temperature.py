import pytest

from temperature import c_to_f, c_to_k, convert, f_to_c


def test_celsius_to_fahrenheit():
    assert c_to_f(100) == 212
    assert c_to_f(-40) == -40


def test_fahrenheit_to_celsius():
    assert f_to_c(212) == pytest.approx(100)
    assert f_to_c(32) == pytest.approx(0)


def test_celsius_to_kelvin():
    assert c_to_k(0) == pytest.approx(273.15)


def test_below_absolute_zero():
    with pytest.raises(ValueError):
        c_to_k(-300)


def test_convert_celsius_to_fahrenheit():
    assert convert(37, "c", "f") == pytest.approx(98.6)


def test_convert_fahrenheit_to_kelvin():
    assert convert(32, "F", "K") == pytest.approx(273.15)


def test_unknown_scale():
    with pytest.raises(ValueError):
        convert(1, "C", "R")
