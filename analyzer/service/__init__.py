"""The organisation service: CodeBuild failures of every account diagnosed as they happen.

EventBridge (member accounts' rules -> the central bus -> a rule) -> SQS -> this Lambda
function -> S3 (diagnosis JSON and log), DynamoDB (claim and summary row), SNS. Modules:
:mod:`~analyzer.service.events` (parsing the event), :mod:`~analyzer.service.config`
(the function's environment), :mod:`~analyzer.service.accounts` (the assumed read-only
role and per-account rate limit), :mod:`~analyzer.service.store` (the writes; the message itself is
:mod:`analyzer.report.notification`), :mod:`~analyzer.service.handler` (the
entry point ``lambda_handler``). ``deploy/`` holds the templates.
"""
