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
    ("git-authentication-failed", "fatal: Authentication failed for 'https://bitbucket.org/acme/app.git/'"),
    ("git-authentication-failed", "fatal: could not read Password for 'https://ci@dev.azure.com': terminal prompts disabled"),
    ("git-ssh-permission-denied", "git@bitbucket.org: Permission denied (publickey)."),
    ("source-repository-not-found", "[Container] 2022/01/01 00:00:00 Phase context status code: CLIENT_ERROR Message: repository not found for primary source and source version pr/42"),
    ("source-repository-not-found", "ERROR: Repository not found."),
    ("source-authorization-failed", "[Container] 2022/01/01 00:00:00 Phase context status code: CLIENT_ERROR Message: authorization failed for primary source and source version refs/heads/main"),
    ("git-submodule-failed", "fatal: No url found for submodule path 'vendor/lib' in .gitmodules"),
    ("codecommit-throttled", "An error occurred (ThrottlingException) when calling the GetBranch operation: Rate exceeded"),
    ("s3-source-download-failed", "[Container] 2022/01/01 00:00:00 Phase context status code: CLIENT_ERROR Message: error while downloading key app/source.zip, bucket acme-src: NoSuchKey: The specified key does not exist."),
    ("source-version-not-found", "error: pathspec 'feature/login' did not match any file(s) known to git"),
    ("buildspec-command-not-string", "[Container] 2022/01/01 00:00:00 Phase context status code: YAML_FILE_ERROR Message: Expected Commands[0] to be of string type: found subkeys instead at line 10, value of the key tag on line 9 might be empty"),
    ("runtime-install-skipped", "[Container] 2022/01/01 00:00:00 Skipping install of runtimes. Runtime version selection is not supported by this build image."),
    ("npm-eresolve", "npm error ERESOLVE could not resolve"),
    ("npm-package-not-found", "error An unexpected error occurred: \"https://registry.yarnpkg.com/@acme%2fui: Not found\"."),
    ("npm-no-matching-version", "error Couldn't find any versions for \"left-pad\" that matches \"^9.0.0\""),
    ("npm-ci-lockfile-out-of-sync", "npm ERR! cipm can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing."),
    ("npm-unsupported-engine", "npm ERR! notsup Unsupported engine for vite@5.1.4: wanted: {\"node\":\">=18\"} (current: {\"node\":\"16.20.2\",\"npm\":\"8.19.4\"})"),
    ("npm-lifecycle-script-failed", "npm ERR! Failed at the web@2.3.0 build script."),
    ("yarn-frozen-lockfile", "➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden."),
    ("pnpm-outdated-lockfile", " ERR_PNPM_FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE  Cannot perform a frozen installation because the version of the lockfile is incompatible with this version of pnpm"),
    ("pip-no-matching-distribution", "ERROR: No matching distribution found for torch==2.3.0+cu121"),
    ("pip-wheel-build-failed", "ERROR: Failed to build installable wheels for some pyproject.toml based projects (numpy)"),
    ("pip-hash-mismatch", "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes."),
    ("poetry-lock-out-of-date", "Warning: poetry.lock is not consistent with pyproject.toml. You may be getting improper dependencies. Run `poetry lock [--no-update]` to fix it."),
    ("poetry-solver-problem", "Because billing depends on requests (2.99.0) which doesn't match any versions, version solving failed."),
    ("maven-dependency-resolution", "[ERROR] Plugin org.springframework.boot:spring-boot-maven-plugin:9.9.9 or one of its dependencies could not be resolved: Could not find artifact"),
    ("maven-compilation-error", "[ERROR] /codebuild/output/src1/src/src/main/java/A.java:[10,5] incompatible types: String cannot be converted to int"),
    ("gradle-plugin-not-found", "Plugin [id: 'org.jetbrains.kotlin.jvm', version: '9.9.9', apply: false] was not found in any of the following sources:"),
    ("gradle-dependency-resolution", "> Could not resolve all dependencies for configuration ':app:debugRuntimeClasspath'."),
    ("gradle-daemon-crashed", "Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)"),
    ("go-mod-out-of-sync", "go: github.com/acme/x@v1.2.3: missing go.sum entry for go.mod file; to add it:"),
    ("go-package-not-in-module", "main.go:5:2: no required module provides package github.com/acme/missing; to add it:"),
    ("go-checksum-mismatch", "verifying github.com/acme/x@v1.2.3/go.mod: checksum mismatch"),
    ("go-version-too-old", "go: errors parsing go.mod:\n/src/go.mod:3: invalid go version '1.21.0': must match format 1.23"),
    ("go-version-too-old", "note: module requires Go 1.21: go.mod file indicates go 1.21, but maximum supported version is 1.20"),
    ("nuget-package-not-found", "/src/A.csproj : error NU1102: Unable to find package Newtonsoft.Json with version (>= 99.0.0)"),
    ("nuget-service-index-unreachable", "error NU1301: Unable to load the service index for source https://pkgs.dev.azure.com/acme/_packaging/feed/nuget/v3/index.json."),
    ("dotnet-compile-error", "Program.cs(3,1): error CS1002: ; expected [/src/App/App.csproj]"),
    ("pytest-failures", "FAILED tests/test_api.py::test_create_user[admin] - KeyError: 'id'"),
    ("pytest-failures", "1 failed, 3 passed, 2 warnings in 0.52s"),
    ("jest-failures", "Tests:       3 failed, 1 skipped, 40 passed, 44 total"),
    ("junit-test-failures", "[ERROR] Tests run: 3, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.1 s <<< FAILURE! - in com.acme.FooTest"),
    ("go-test-failures", "FAIL\tgithub.com/acme/api/internal/billing [build failed]"),
    ("dotnet-test-failures", "Total tests: 42. Passed: 41. Failed: 1. Skipped: 0."),
    ("cdk-not-bootstrapped", "This CDK deployment requires bootstrap stack version '6', found '4'. Please run 'cdk bootstrap'."),
    ("cdk-asset-publish-failed", "❌  WorkerStack failed: Error: Failed to publish one or more assets. See the error messages above for more information."),
    ("cloudformation-stack-failed", "❌  ApiStack failed: Error: The stack named ApiStack failed creation, it may need to be manually deleted from the AWS console: ROLLBACK_COMPLETE"),
    ("cloudformation-stack-failed", "An error occurred (ValidationError) when calling the UpdateStack operation: Stack:arn:aws:cloudformation:eu-west-1:123456789012:stack/api/abc is in ROLLBACK_COMPLETE state and can not be updated."),
    ("sam-changeset-failed", "Error: No changes to deploy. Stack billing-api is up to date"),
    ("sam-build-failed", "Error: NodejsNpmBuilder:NpmInstall - NPM Failed: npm ERR! code ERESOLVE"),
    ("cache-x509-system-roots", "[Container] 2020/01/01 00:00:00 Unable to download cache: RequestError: send request failed caused by: x509: failed to load system roots and no roots provided"),
    ("report-bucket-owner-mismatch", "AccessDenied: The bucket owner for the report group does not match the owner of the S3 bucket"),
    ("artifact-upload-access-denied", "[Container] 2022/01/01 00:00:00 Failed to upload artifacts: AccessDenied: Access Denied"),
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
    ("pytest-failures", "PASSED tests/test_x.py::test_failed_login"),
    ("pytest-failures", "===== 12 passed, 0 failed in 1.02s ====="),
    ("jest-failures", "Tests:       0 failed, 12 passed, 12 total"),
    ("jest-failures", "  ✓ shows FAIL src/x.test.ts in the summary (3 ms)"),
    ("junit-test-failures", "[INFO] Tests run: 7, Failures: 0, Errors: 0, Skipped: 0"),
    ("go-test-failures", "--- PASS: TestFailOnError (0.00s)"),
    ("dotnet-test-failures", "Passed!  - Failed:     0, Passed:    42, Skipped:     0, Total:    42"),
    ("npm-eresolve", "npm WARN ERESOLVE overriding peer dependency"),
    ("npm-unsupported-engine", "npm WARN EBADENGINE Unsupported engine {"),
    ("git-authentication-failed", "echo \"fatal: Authentication failed for 'x'\" >> expected.txt"),
    ("codecommit-throttled", "An error occurred (ThrottlingException) when calling the DescribeImages operation: Rate exceeded"),
    ("cloudformation-stack-failed", "Api | 1/6 | 11:02:22 PM | CREATE_FAILED | AWS::SQS::Queue | Queue (Queue5E6F) Resource creation cancelled"),
    ("source-version-not-found", "  'fatal: reference is not a tree' means the commit is missing"),
    ("sam-build-failed", "Build Succeeded"),
]


def fired(pack, line: str) -> list[str]:
    return [f.rule_id for f in diagnose(pack.rules, [line.encode() + b"\n"]).findings]


@pytest.mark.parametrize(("rule_id", "line"), FIRES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(FIRES)])
def test_spelling_fires(pack, rule_id, line):
    assert fired(pack, line)[:1] == [rule_id]


@pytest.mark.parametrize(("rule_id", "line"), MISSES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(MISSES)])
def test_near_miss_does_not_fire(pack, rule_id, line):
    assert rule_id not in fired(pack, line)
