"""A build log with one of every kind of secret a log leaks, in matched lines and in context lines."""

from __future__ import annotations

SECRETS = {
    "aws access key id": "AKIAIOSFODNN7EXAMPLE",
    "aws temporary key id": "ASIAY34FZKBOKMUTVV7A",
    "aws secret key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws session token": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6EXAMPLE0token",
    "bearer token": "sk9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "url password": "Zq8tP3xW9vKmR2",
    "private key body": "MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH",
    "private key body 2": "lWu2/a1gB9JW5TBQ+AVpum9Okx7KfqkfBKL9mcHgSL0yWMdjMfNOqNtrQqKlN4kE",
    "github token": "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s12",
    "gitlab token": "glpat-Xy7Zq2Wv9Rt4Ps6Mn8Lk",
    "npm token": "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "pypi token": "pypi-AgEIcHlwaS5vcmcCJGE0ZjY5YzJlLTk1NTgtNDc0Ny1hYjU2LTE4ZjQ5YjE2NjU4NwACKlsz",
    "docker hub token": "dckr_pat_2b3e36beeb386dfdaacb9b46004",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
}

_S = SECRETS
_RATE = "toomanyrequests: You have reached your unauthenticated pull rate limit"

SECRET_LOG = "\n".join(
    [
        "[Container] 2026/11/27 09:14:01.000001 Entering phase BUILD",
        f"export AWS_SECRET_ACCESS_KEY={_S['aws secret key']}",
        f"export AWS_SESSION_TOKEN={_S['aws session token']}",
        f'curl -sf -H "Authorization: Bearer {_S["bearer token"]}" https://artifacts.example.com/api/v1/',
        f"{_RATE} (key {_S['aws access key id']}, {_S['github token']})",
        "-----BEGIN RSA PRIVATE KEY-----",
        _S["private key body"],
        _S["private key body 2"],
        "-----END RSA PRIVATE KEY-----",
        f"{_RATE} {_S['jwt']}",
        f"git clone https://ci-bot:{_S['url password']}@git.example.com/team/app.git",
        f"npm config set //registry.npmjs.org/:_authToken {_S['npm token']}",
        f"{_RATE} {_S['gitlab token']} {_S['aws temporary key id']}",
        f"twine upload -u __token__ -p {_S['pypi token']} dist/*",
        f"echo {_S['docker hub token']} | docker login -u ci --password-stdin",
        "[Container] 2026/11/27 09:14:13.906117 Phase complete: BUILD State: FAILED",
        "[Container] 2026/11/27 09:14:13.906200 Phase context status code: COMMAND_EXECUTION_ERROR Message: "
        f"Error while executing command: git clone https://ci-bot:{_S['url password']}@git.example.com/team/app.git"
        f" && npm publish --token {_S['npm token']}. Reason: exit status 1",
    ]
) + "\n"
"""Every secret sits in a line a rule matches or within three lines of one (the default context)."""

UNKNOWN_SECRET_LOG = "\n".join(
    [
        "building docs",
        f"fatal: could not read from https://ci-bot:{_S['url password']}@git.example.com/team/docs.git",
        f"error: token {_S['github token']} was denied",
        f"ERROR publishing with {_S['pypi token']}",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        _S["private key body"],
        "-----END OPENSSH PRIVATE KEY----- failed",
        "done",
    ]
) + "\n"
"""No rule matches: the secrets reach the reports through the error tail."""
