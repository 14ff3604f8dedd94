"""The command line: users and the demo seed."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, Article, Role, Study, User


def test_users_create_reads_the_password_from_stdin(runner, app, clean_db):
    result = runner.invoke(args=["users", "create", "--email", "Mod@Example.org", "--name", "Dr Mod",
                                 "--role", "moderator", "--password-stdin"],
                           input="a perfectly long passphrase\n")
    assert result.exit_code == 0, result.output
    assert "Created moderator mod@example.org" in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == Role.MODERATOR and user.email == "mod@example.org"


def test_users_create_refuses_a_weak_password_and_creates_nothing(runner, app, clean_db):
    result = runner.invoke(args=["users", "create", "--email", "a@example.org", "--name", "A",
                                 "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "password: Password must be at least 15 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_create_refuses_an_unknown_role(runner, clean_db):
    result = runner.invoke(args=["users", "create", "--email", "a@example.org", "--name", "A", "--role",
                                 "superuser", "--password-stdin"], input="a perfectly long passphrase\n")
    assert result.exit_code == 1
    assert "Unknown role 'superuser'" in result.output


def test_users_create_refuses_a_duplicate_email(runner, make):
    make.user(email="taken@example.org")
    result = runner.invoke(args=["users", "create", "--email", "TAKEN@example.org", "--name", "B",
                                 "--password-stdin"], input="a perfectly long passphrase\n")
    assert result.exit_code == 1 and "already exists" in result.output


def test_set_role(runner, make, app):
    user = make.user()
    result = runner.invoke(args=["users", "set-role", user.email, "admin"])
    assert result.exit_code == 0 and "is now admin" in result.output
    with app.app_context():
        assert db.session.get(User, user.id).role == Role.ADMIN
    bad = runner.invoke(args=["users", "set-role", user.email, "king"])
    assert bad.exit_code == 1 and "Unknown role" in bad.output
    missing = runner.invoke(args=["users", "set-role", "ghost@example.org", "admin"])
    assert missing.exit_code == 1 and "No account" in missing.output


def test_seed_demo_is_idempotent_and_prints_passwords_once(runner, app, clean_db, tmp_path):
    app.instance_path = str(tmp_path)
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@postil.example  password: " in first.output
    assert "clinician@postil.example  password: " in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "password: " not in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Article.id))) == 1
        assert db.session.scalar(select(func.count(Study.id))) == 3
        assert db.session.scalar(select(func.count(User.id))) == 2
        assert db.session.scalar(select(func.count(Annotation.id))) >= 2
        article = db.session.scalar(select(Article))
        assert article.version == 1
    credentials = (tmp_path / "demo-credentials.txt").read_text()
    assert "admin@postil.example" in credentials


def test_seeded_demo_credentials_sign_in(runner, app, client, auth, clean_db, tmp_path):
    app.instance_path = str(tmp_path)
    output = runner.invoke(args=["seed-demo"]).output
    line = next(row for row in output.splitlines() if "clinician@postil.example" in row)
    password = line.split("password: ")[1].strip()
    assert auth.sign_in("clinician@postil.example", password).status_code == 302
    page = client.get("/articles/chemotherapy-metastases").get_data(as_text=True)
    assert "Dr Chris Clinician" in client.get("/").get_data(as_text=True)
    assert "Chemotherapy: a cause of metastases?" in page
