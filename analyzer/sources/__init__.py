"""Sources: the only code that reads builds and logs (files, stdin, CodeBuild, CloudWatch Logs, S3)."""

from analyzer.sources.base import LogSource

__all__ = ["LogSource"]
