"""Translation of botocore errors into the layer's own errors."""

from __future__ import annotations

from botocore.exceptions import ClientError

from analyzer.errors import AccessDenied, SourceError, Throttled
from analyzer.sources.base import translate_client_error


def _error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetLogEvents",
    )


def test_access_denied_names_the_missing_action() -> None:
    error = translate_client_error(_error("AccessDeniedException", "User: x is not authorized"), "logs:GetLogEvents", "log stream g/s")
    assert isinstance(error, AccessDenied)
    assert error.action == "logs:GetLogEvents"
    assert str(error) == (
        "access denied reading log stream g/s: User: x is not authorized\n"
        "tip: allow logs:GetLogEvents for the identity you run codebuild-doctor as (see the README's IAM policy)"
    )


def test_a_bare_403_is_access_denied() -> None:
    assert isinstance(translate_client_error(_error("", "<html>Forbidden</html>", 403), "s3:GetObject", "x"), AccessDenied)


def test_throttling_codes() -> None:
    for code in ("ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"):
        error = translate_client_error(_error(code, "Rate exceeded"), "logs:GetLogEvents", "log stream g/s")
        assert isinstance(error, Throttled)
        assert error.message == "AWS kept throttling logs:GetLogEvents for log stream g/s after retries: Rate exceeded"


def test_other_errors_keep_code_and_message() -> None:
    error = translate_client_error(_error("InvalidParameterException", "bad token"), "logs:GetLogEvents", "log stream g/s")
    assert type(error) is SourceError
    assert str(error) == "logs:GetLogEvents failed for log stream g/s: InvalidParameterException: bad token"
