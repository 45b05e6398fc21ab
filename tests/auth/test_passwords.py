"""Console passwords: hashed with argon2id, checked without ever raising."""

import pytest
from sqlalchemy import text

from waitline.auth.secrets import hash_password, verify_password
from waitline.auth.service import create_user


def test_a_password_is_hashed_with_argon2id():
    assert hash_password("correct horse battery staple").startswith("$argon2id$")


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("correct horse") != hash_password("correct horse")


def test_the_right_password_verifies():
    hashed = hash_password("correct horse battery staple")

    assert verify_password(hashed, "correct horse battery staple") is True


def test_a_password_with_non_ascii_characters_verifies():
    hashed = hash_password("mot de passe très sûr ✓")

    assert verify_password(hashed, "mot de passe très sûr ✓") is True
    assert verify_password(hashed, "mot de passe tres sur") is False


@pytest.mark.parametrize(
    "attempt", ["wrong", "", "correct horse battery stapl", "Correct horse battery staple"]
)
def test_a_wrong_password_does_not_verify(attempt):
    hashed = hash_password("correct horse battery staple")

    assert verify_password(hashed, attempt) is False


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a hash",
        "correct horse",
        "$argon2id$v=19$m=65536,t=3,p=4$bad$bad",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "$argon2id$v=19$m=65536,t=3,p=4$ünïcode$ünïcode",
    ],
)
def test_a_garbage_hash_verifies_nothing_and_raises_nothing(garbage):
    assert verify_password(garbage, "correct horse") is False
    assert verify_password(garbage, garbage) is False


def test_a_truncated_hash_verifies_nothing():
    hashed = hash_password("correct horse")

    assert verify_password(hashed[:-4], "correct horse") is False


def test_a_user_is_stored_with_an_argon2_hash_and_never_the_password(app, clock, tenant):
    with app.state.db.transaction() as session:
        user = create_user(
            session,
            workspace_id=tenant.id,
            email="Ada@Example.com",
            password="correct horse battery staple",
            role="owner",
            now=clock.now(),
        )

    with app.state.db.transaction(write=False) as session:
        row = (
            session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user.id})
            .mappings()
            .one()
        )

    assert row["password_hash"].startswith("$argon2id$")
    assert verify_password(row["password_hash"], "correct horse battery staple")
    for column, value in row.items():
        assert "correct horse" not in str(value), f"the password is stored in {column}"
