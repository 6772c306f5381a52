"""One-line spellings of each tool's message that a rule must recognise (and near misses it must not)."""

from __future__ import annotations

import pytest

from analyzer.engine import diagnose

FIRES = [
    ("docker-daemon-not-running", "docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?."),
    ("docker-daemon-not-running", "ERROR: Cannot connect to the Docker daemon at tcp://127.0.0.1:2375. Is the docker daemon running?"),
    ("docker-daemon-not-running", "docker.errors.DockerException: Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"),
    ("docker-daemon-not-running", "java.lang.IllegalStateException: Could not find a valid Docker environment. Please see logs and check configuration"),
    ("unable-to-locate-credentials", "Unable to locate credentials. You can configure credentials by running \"aws configure\"."),
    ("unable-to-locate-credentials", "com.amazonaws.SdkClientException: Unable to load AWS credentials from any provider in the chain: [EnvironmentVariableCredentialsProvider: Unable to load AWS credentials]"),
    ("unable-to-locate-credentials", "NoCredentialProviders: no valid providers in chain. Deprecated."),
    ("unable-to-locate-credentials", "CredentialsProviderError: Could not load credentials from any providers"),
    ("out-of-memory", "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory"),
    ("out-of-memory", "Exception in thread \"main\" java.lang.OutOfMemoryError: GC overhead limit exceeded"),
    ("out-of-memory", "Expiring Daemon because JVM heap space is exhausted"),
    ("out-of-memory", "virtual memory exhausted: Cannot allocate memory"),
    ("out-of-memory", "memory allocation of 4294967296 bytes failed"),
    ("exit-status-137-killed", "npm ERR! signal SIGKILL"),
    ("exit-status-137-killed", "error Command failed with signal \"SIGKILL\"."),
    ("exit-status-137-killed", "ERROR: failed to solve: process \"/bin/sh -c npm run build\" did not complete successfully: exit code: 137"),
    ("command-not-found", "bash: pnpm: command not found"),
    ("command-not-found", "sh: 1: jq: not found"),
    ("command-not-found", "/bin/sh: terraform: not found"),
    ("command-not-found", "zsh: command not found: helm"),
    ("command-not-found", "/usr/bin/env: 'python': No such file or directory"),
    ("command-not-found", "The term 'nuget' is not recognized as the name of a cmdlet, function, script file, or operable program."),
    ("git-clone-ssl-self-signed", "fatal: unable to access 'https://gitlab.corp/app.git/': SSL certificate problem: unable to get local issuer certificate"),
    ("s3-bucket-wrong-region", "An error occurred (PermanentRedirect) when calling the ListObjectsV2 operation: The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint."),
    ("cache-access-denied", "[Container] 2024/02/02 10:00:00.000001 Unable to download cache: AccessDenied: Access Denied"),
    ("no-matching-artifact-paths", "[Container] 2022/01/01 00:00:00 Phase context status code: CLIENT_ERROR Message: no matching artifact paths found"),
    ("image-pull-failed", "[Container] 2022/01/01 00:00:00 Phase context status code: BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE Message: Unable to pull customer's container image. CannotPullContainerError: no basic auth credentials"),
]

MISSES = [
    ("docker-daemon-not-running", "grep -q 'Cannot connect to the Docker daemon' build.log && exit 1"),
    ("unable-to-locate-credentials", "  ✓ prints 'Unable to locate credentials' hint (2 ms)"),
    ("out-of-memory", "OutOfMemoryErrorHandlerTest > handles java.lang.OutOfMemoryError PASSED"),
    ("command-not-found", "npm WARN deprecated: package not found in cache"),
    ("git-clone-ssl-self-signed", "curl: (60) SSL certificate problem: self-signed certificate in certificate chain"),
    ("cache-access-denied", "[Container] 2024/02/02 10:00:00.000001 Unable to initialize cache download: no paths specified to be cached"),
    ("build-timed-out", "INFO request to https://api.example.com timed out, retrying (BUILD_TIMED_OUT_RETRIES=3)"),
    ("insufficient-subnet", "alarm codebuild-INSUFFICIENT_SUBNET-count: OK"),
]


def fired(pack, line: str) -> list[str]:
    return [f.rule_id for f in diagnose(pack.rules, [line.encode() + b"\n"]).findings]


@pytest.mark.parametrize(("rule_id", "line"), FIRES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(FIRES)])
def test_spelling_fires(pack, rule_id, line):
    assert fired(pack, line)[:1] == [rule_id]


@pytest.mark.parametrize(("rule_id", "line"), MISSES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(MISSES)])
def test_near_miss_does_not_fire(pack, rule_id, line):
    assert rule_id not in fired(pack, line)
