from passwords import Policy, strength


def test_good_password_accepted():
    assert Policy().is_valid("Tr0ubadour")


def test_short_password_reported():
    assert "shorter than 8 characters" in Policy().problems("Ab1")


def test_common_password_reported():
    assert "too common" in Policy(require_digit=False).problems("Password")


def test_all_lowercase_rejected():
    assert not Policy().is_valid("correcthorse1")


def test_all_uppercase_rejected():
    assert Policy().problems("CORRECTHORSE1") == ["must mix upper and lower case"]


def test_symbol_requirement():
    assert "needs a symbol" in Policy(require_symbol=True).problems("Tr0ubadour")


def test_strength():
    assert strength("abc") == 1
    assert strength("Tr0ub4dor&3-horse-battery") == 4
