"""Kinds of failed CI logs from ecosystems the LogChunks development half lacks (issue 13).

The held-back half of LogChunks holds 40 other repositories (29 languages, Travis CI): the
locator must point at the failing tool's own report there too. Each test below is a short
Travis log made of text pasted from a real failed build (the URL above each); only paths and
the Travis framing lines are trimmed. What the report shows first must be the lines that say
why, not the runner's summary, a wrapper that reports another tool's failure, or its last line.
"""

from __future__ import annotations

from analyzer.engine import diagnose
from analyzer.rules import load_rules
from tests.helpers import located_lines as _shown, locator_kind as _kind, log_bytes, travis_log as _travis

RULES = load_rules().rules


def test_ctest_shows_the_failed_test_not_its_closing_lines() -> None:
    # https://github.com/afni/afni/issues/56 (a Travis log of ctest)
    assert _kind("Errors while running CTest") == "wrapper"
    assert _kind("50% tests passed, 1 tests failed out of 2") == "summary"
    assert _kind("The following tests FAILED:") == "summary"
    data = _travis(
        "ctest",
        "Test project /home/travis/build/afni/afni/testing",  # 2
        "    Start 1: afni:start",  # 3
        "1/2 Test #1: afni:start .......................   Passed    5.98 sec",  # 4
        "    Start 2: do.examples",  # 5
        "2/2 Test #2: do.examples ......................***Failed   17.24 sec",  # 6
        "50% tests passed, 1 tests failed out of 2",  # 7
        "Label Time Summary:",  # 8
        "GLX    =  17.24 sec",  # 9
        "Total Test time (real) =  23.23 sec",  # 10
        "The following tests FAILED:",  # 11
        "\t  2 - do.examples (Failed)",  # 12
        "Errors while running CTest",  # 13
    )
    assert _shown(data) == [6]


def test_ctest_failed_regular_expression_is_the_failed_test() -> None:
    # https://github.com/radiasoft/zgoubi/issues/76 ("***Failed  Required regular expression not found")
    line = "1/1 Test #1: zgoubi-tests .....................***Failed  Required regular expression not found.Regex=[ZGOUBI_PASSED"
    assert _kind(line) == "test-failure"


def test_julia_test_failure_shows_expression_and_evaluated() -> None:
    # https://github.com/OFAI/BayesianNonparametrics.jl/issues/6 (Julia 0.6's Base.Test)
    assert _kind("ERROR: LoadError: LoadError: There was an error during testing") == "summary"
    data = _travis(
        "julia -e 'Pkg.test(\"BayesianNonparametrics\")'",
        "Test Failed",  # 2
        "  Expression: model0.energy < model1.energy",  # 3
        "   Evaluated: -4.54650303362464 < -4.585352987271349",  # 4
        "ERROR: LoadError: LoadError: There was an error during testing",  # 5
        "while loading /home/travis/.julia/v0.6/BayesianNonparametrics/test/dpmTests.jl, in expression starting on line 26",  # 6
    )
    assert _shown(data) == [2, 3, 4]


def test_julia_error_during_test_is_the_report_not_the_summary_table() -> None:
    # https://github.com/PetrKryslUCSD/FinEtools.jl/pull/33 (a Travis log, Julia 0.7's Test);
    # the closing lines as https://github.com/JuliaDebug/Cthulhu.jl/issues/569 shows them.
    assert _kind("Test Summary: | Pass  Error  Total") == "summary"
    assert _kind("ERROR: LoadError: Some tests did not pass: 320 passed, 1 failed, 0 errored, 1 broken.") == "summary"
    data = _travis(
        "julia --color=yes -e 'Pkg.test(\"FinEtools\")'",
        "Debug: Error During Test at /Users/travis/build/PetrKryslUCSD/FinEtools.jl/test/runtests.jl:104",  # 2
        '  Got exception LoadError("/Users/travis/build/PetrKryslUCSD/FinEtools.jl/test/test_debug.jl", 38, '
        'AssertionError("Model reduction is mismatched")) outside of a @test',  # 3
        "  LoadError: AssertionError: Model reduction is mismatched",  # 4
        "Test Summary: | Pass  Error  Total",  # 5
        "Debug         |    3      1      4",  # 6
        "ERROR: LoadError: Some tests did not pass: 3 passed, 0 failed, 1 errored, 0 broken.",  # 7
    )
    assert _shown(data) == [2, 3, 4]


def test_cargo_tests_panic_under_its_header_is_one_block() -> None:
    # https://github.com/open-telemetry/opentelemetry-rust/issues/2691 (Rust 1.73+: the message
    # on the lines under "panicked at file:line:col:")
    data = _travis(
        "cargo test",
        "test layer::tests::tracing_appender_inside_tracing_crate_context ... FAILED",  # 2
        "",  # 3
        "failures:",  # 4
        "",  # 5
        "---- layer::tests::tracing_appender_inside_tracing_crate_context stdout ----",  # 6
        "",  # 7
        "thread 'layer::tests::tracing_appender_inside_tracing_crate_context' panicked at "
        "opentelemetry-appender-tracing/src/layer.rs:551:9:",  # 8
        "assertion `left == right` failed",  # 9
        "  left: 3",  # 10
        " right: 2",  # 11
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",  # 12
        "",  # 13
        "failures:",  # 14
        "    layer::tests::tracing_appender_inside_tracing_crate_context",  # 15
        "",  # 16
        "test result: FAILED. 4 passed; 1 failed; 3 ignored; 0 measured; 0 filtered out; finished in 0.00s",  # 17
    )
    assert _shown(data) == [6, 8, 9, 10]


def test_xctest_on_linux_shows_the_assertion_not_the_test_cases_closing_line() -> None:
    # https://github.com/JohnSundell/Files/pull/40 (a Travis log of swift test on Linux); the
    # suite's closing lines as https://github.com/jpsim/Yams/issues/143 shows them.
    assert _kind("Test Case 'FilesTests.testCreatingAndDeletingFile' failed (0.002 seconds)") == "progress"
    assert _kind("Test Suite 'YamlErrorTests' failed at 2018-12-26 19:32:14.478.") == "summary"
    assert _kind("\t Executed 9 tests, with 3 failures (0 unexpected) in 0.004 (0.004) seconds") == "summary"
    data = _travis(
        "swift test",
        "Test Case 'FilesTests.testCreatingAndDeletingFile' started at 2017-11-16 11:38:50.496",  # 2
        "/home/travis/build/JohnSundell/Files/Tests/FilesTests/FilesTests.swift:667: error: "
        'FilesTests.testCreatingAndDeletingFile : XCTAssertEqual failed: ("Failed to read file.") is not equal to '
        '("Failed to read file. Error: The operation could not be completed.") - ',  # 3
        "Test Case 'FilesTests.testCreatingAndDeletingFile' failed (0.002 seconds)",  # 4
        "Test Suite 'FilesTests' failed at 2017-11-16 11:38:50.510",  # 5
        "\t Executed 41 tests, with 1 failure (0 unexpected) in 0.014 (0.014) seconds",  # 6
    )
    assert _shown(data) == [3]


def test_tex_error_line_is_the_block_and_latexmks_closing_lines_are_wrappers() -> None:
    # https://github.com/sympy/sympy-paper/pull/23 (a Travis log of pdflatex --halt-on-error);
    # latexmk's closing lines as https://github.com/James-Yu/LaTeX-Workshop/issues/1198 shows them.
    assert _kind("! Undefined control sequence.") == "diagnostic"
    assert _kind("Collected error summary (may duplicate other messages):") == "wrapper"
    assert _kind("Latexmk: Errors, so I did not complete making targets") == "wrapper"
    data = _travis(
        "pdflatex --halt-on-error paper.tex",
        "This is pdfTeX, Version 3.1415926-1.40.10 (TeX Live 2009/Debian)",  # 2
        "entering extended mode",  # 3
        "(./paper.tex",  # 4
        "LaTeX2e <2009/09/24>",  # 5
        "(/usr/share/texmf-texlive/tex/latex/base/article.cls",  # 6
        "Document Class: article 2007/10/19 v1.4h Standard LaTeX document class",  # 7
        "(/usr/share/texmf-texlive/tex/latex/base/size10.clo))",  # 8
        "No file paper.aux.",  # 9
        "(./introduction.tex)",  # 10
        "! Undefined control sequence.",  # 11
        "l.27 \\zpoxdifsdpao",  # 12
        "",  # 13
        "!  ==> Fatal error occurred, no output PDF file produced!",  # 14
        "Transcript written on paper.log.",  # 15
    )
    assert _shown(data)[0] == 11


def test_shellcheck_shows_the_place_the_code_and_the_mark() -> None:
    # https://github.com/thoughtbot/dotfiles/issues/792 (ShellCheck 0.11's output)
    data = _travis(
        "shellcheck sc.sh",
        "",  # 2
        "In sc.sh line 2:",  # 3
        'kill $(lsof -ti4TCP:"$1" -sTCP:LISTEN)',  # 4
        "     ^-- SC2046 (warning): Quote this to prevent word splitting.",  # 5
        "",  # 6
        "For more information:",  # 7
        "  https://www.shellcheck.net/wiki/SC2046 -- Quote this to prevent word splitt...",  # 8
    )
    assert _shown(data) == [3, 4, 5]


def test_r_cmd_check_shows_the_r_error_not_the_check_line_or_status() -> None:
    # https://github.com/mlr-org/mlr/issues/1934 (a Travis log of R CMD check); the closing
    # status as https://github.com/travis-ci/travis-ci/issues/4133 shows it.
    assert _kind("Status: 1 ERROR, 1 NOTE") == "summary"
    data = _travis(
        "R CMD check mlr*.tar.gz --as-cran",
        "* checking for file ‘./DESCRIPTION’ ... OK",  # 2
        "* preparing ‘mlr’:",  # 3
        "* checking DESCRIPTION meta-information ... OK",  # 4
        "* installing the package to build vignettes",  # 5
        "* creating vignettes ... ERROR",  # 6
        "Quitting from lines 52-72 (mlr.Rmd) ",  # 7
        "Error: processing vignette 'mlr.Rmd' failed with diagnostics:",  # 8
        "argument is of length zero",  # 9
        "Execution halted",  # 10
    )
    assert _shown(data)[0] == 8


def test_an_r_error_in_a_call_is_a_diagnostic() -> None:
    # https://github.com/OHDSI/Achilles/issues/299 (a Travis log: R's "Error in <call> : ", the
    # message on the next line)
    data = _travis(
        "R CMD check Achilles_1.6.tar.gz",
        "> library(testthat)",  # 2
        '> test_check("Achilles")',  # 3
        "Error in test_files(paths, reporter = reporter, env = env, stop_on_failure = stop_on_failure,  : ",  # 4
        "  No matching test file in dir",  # 5
        "Calls: test_check -> run_tests -> test_dir -> test_files",  # 6
        "Execution halted",  # 7
    )
    assert _shown(data)[:2] == [4, 5]


def test_tox_shows_the_tools_error_not_its_invocation_error() -> None:
    # https://github.com/taurus-org/taurus/issues/1068 (a Travis log of tox); the older form of
    # the wrapper as https://github.com/kuba/simp_le/issues/39 shows it.
    assert _kind("ERROR: InvocationError: '/home/travis/build/kuba/simp_le/.tox/py34/bin/simp_le --test'") == "wrapper"
    data = _travis(
        "tox",
        "py27-qt5 run-test: commands[0] | python -m pytest lib/taurus --show-capture=no",  # 2
        "usage: pytest.py [options] [file_or_dir] [file_or_dir] [...]",  # 3
        "pytest.py: error: unrecognized arguments: --show-capture=no",  # 4
        "  inifile: None",  # 5
        "  rootdir: /home/travis/build/taurus-org/taurus",  # 6
        "ERROR: InvocationError for command /home/travis/build/taurus-org/taurus/.tox/py27-qt5/bin/python "
        "-m pytest lib/taurus --show-capture=no (exited with code 2)",  # 7
        "___________________________________ summary ____________________________________",  # 8
        "ERROR:   py27-qt5: commands failed",  # 9
    )
    assert _shown(data)[0] == 4


def test_ert_shows_the_failed_tests_condition() -> None:
    # https://github.com/cask/cask/issues/256 (ert-runner's "Test x condition:" and the form
    # under it); the progress line and closing count as ERT prints them in
    # https://github.com/Groovy-Emacs-Modes/groovy-emacs-modes/issues/66.
    assert _kind("Test cask-update-test/no-update condition:") == "test-failure"
    data = _travis(
        "cask exec ert-runner",
        "Test cask-update-test/no-update condition:",  # 2
        "",  # 3
        '    (end-of-file "/home/travis/.cask/.cask/24.4.1/elpa/ert-runner-20140610.729/ert-runner.el")',  # 4
        "",  # 5
        "   FAILED  1/75  cask-update-test/no-update",  # 6
    )
    assert _shown(data) == [2, 4]


def test_a_count_of_failed_and_passed_tests_is_a_summary_whatever_the_runner() -> None:
    # The kind, not one runner's wording: coffeescript's cake ("failed 7 and passed 1307 tests"),
    # pytest's closing line, a "Failed: 1, Passed: 9" count.
    assert _kind("failed 7 and passed 1307 tests in 10.56 seconds") == "summary"
    assert _kind("1 failed, 9 passed in 0.12s") == "summary"
    assert _kind("Failed: 1, Passed: 9, Skipped: 0") == "summary"
    # A line that names a failure and a passing count elsewhere is not one.
    assert _kind("Failed to connect to db, passed 3 retries") != "summary"


def test_ghc_7s_place_alone_with_the_message_under_it_is_the_block() -> None:
    # https://github.com/IHaskell/IHaskell/issues/402 (a Travis build, GHC 7.8: the place on a
    # line of its own, the message indented under it)
    assert _kind("IHaskell/Display/Diagrams.hs:15:42:") == "diagnostic"
    data = _travis(
        "cabal install",
        "[ 9 of 12] Compiling IHaskell.Display.Diagrams ( IHaskell/Display/Diagrams.hs, dist/build/IHaskell/Display/Diagrams.o )",  # 2
        "",  # 3
        "IHaskell/Display/Diagrams.hs:15:42:",  # 4
        "    Not in scope: type constructor or class ‘V2’",  # 5
        "    Perhaps you meant one of these:",  # 6
        "      ‘P2’ (imported from Diagrams.Prelude),",  # 7
        "IHaskell/Display/Diagrams.hs:34:25:",  # 8
        "    Not in scope: ‘mkHeight’",  # 9
    )
    assert _shown(data)[:2] == [4, 5]


def test_cabals_closing_lines_are_wrappers_of_ghcs_error() -> None:
    # https://github.com/kazu-yamamoto/cab/issues/26 (cabal install, GHC 7.6)
    assert _kind("cabal: Error: some packages failed to install:") == "wrapper"
    assert _kind("cab-0.2.10 failed during the building phase. The exception was:") == "wrapper"
    data = _travis(
        "cabal install",
        "[5 of 9] Compiling Distribution.Cab.VerDB ( Distribution/Cab/VerDB.hs, dist/build/Distribution/Cab/VerDB.o )",  # 2
        "",  # 3
        "Distribution/Cab/VerDB.hs:45:31: Not in scope: `sourceCmd'",  # 4
        "cabal: Error: some packages failed to install:",  # 5
        "cab-0.2.10 failed during the building phase. The exception was:",  # 6
        "ExitFailure 1",  # 7
    )
    assert _shown(data) == [4]


def test_dotnet_test_shows_the_failed_test_and_its_message_not_test_run_failed() -> None:
    # https://github.com/microsoft/vstest/issues/285 (dotnet test's "Failed   Name" and "Error
    # Message:"); the "  X Name [134ms]" form of https://github.com/nunit/nunit3-vs-adapter/issues/726
    assert _kind("  X This_test_should_fail [134ms]") == "test-failure"
    assert _kind("Test Run Failed.") == "summary"
    data = _travis(
        "dotnet test",
        "Starting test execution, please wait...",  # 2
        "Passed   SampleUnitTestProject.UnitTest1.PassingTest",  # 3
        "Failed   SampleUnitTestProject.UnitTest1.FailingTest",  # 4
        "Error Message:",  # 5
        " Assert.AreEqual failed. Expected:<2>. Actual:<3>.",  # 6
        "Stack Trace:",  # 7
        "   at SampleUnitTestProject.UnitTest1.FailingTest() in /home/codito/tmp/samples/mstesttest/Tests.cs:line 29",  # 8
        "Skipped  SampleUnitTestProject.UnitTest1.SkippingTest",  # 9
        "Test Run Failed.",  # 10
    )
    top = diagnose(RULES, [data]).findings[0]
    # dotnet-test-failures names the kind; its evidence is the failed test's report.
    assert top.rule_id == "dotnet-test-failures"
    assert [e.line_number for e in top.evidence] == [4, 5, 6]


def test_perl_test_mores_failed_test_diagnostics_are_the_block() -> None:
    # https://github.com/kan/coveralls-perl/issues/2 (a Travis log of prove: only Test::More's
    # "#   Failed test" diagnostics, then prove's "Dubious")
    assert _kind("# Looks like you failed 1 test of 3.") == "summary"
    data = _travis(
        "prove -lr t",
        "t/01_basic.t .... 1/?     ",  # 2
        "#   Failed test 'get_config local'",  # 3
        "#   at t/01_basic.t line 31.",  # 4
        "# Looks like you failed 1 test of 3.",  # 5
        "t/01_basic.t .... Dubious, test returned 1 (wstat 256, 0x100)",  # 6
        "Failed 1/3 subtests ",  # 7
    )
    assert _shown(data) == [3, 4]


def test_a_failed_tap_test_goes_on_into_its_comment_diagnostics() -> None:
    # https://github.com/forcedotcom/PerlKoans/issues/17 (Test::More under "not ok")
    data = _travis(
        "prove -v",
        "ok 9 - on an undefined array, list context is empty",  # 2
        "not ok 10 - on an undefined array, scalar context is 0",  # 3
        "#   Failed test 'on an undefined array, scalar context is 0'",  # 4
        "#   at 04_about_variables.pl.solved line 81.",  # 5
        "#          got: '0'",  # 6
        "#     expected: '__'",  # 7
    )
    assert _shown(data) == [3, 4, 5, 6]


def test_php_parse_error_is_the_block_not_php_ls_closing_line() -> None:
    # https://github.com/shannah/xataface/pull/15 (php -l over the tree); php -l's closing line as
    # https://github.com/async-aws/aws/pull/146 shows it.
    assert _kind("Errors parsing /data/oss/aws/src/S3/Result/ListObjectsV2Output.php.errored") == "wrapper"
    data = _travis(
        "find . -name '*.php' -exec php -l {} \\;",
        "No syntax errors detected in ./actions/browse.php",  # 2
        "PHP Parse error:  syntax error, unexpected ',' in ./actions/commit.php on line 93",  # 3
        "Errors parsing ./actions/commit.php",  # 4
        "No syntax errors detected in ./actions/copy.php",  # 5
    )
    assert _shown(data) == [3]


def test_html_proofers_failures_are_shown_not_its_count() -> None:
    # https://github.com/TECLIB/CFPropertyList/issues/45 (a Travis log of htmlproofer)
    assert _kind("htmlproofer 3.7.2 | Error:  HTML-Proofer found 2 failures!") == "summary"
    data = _travis(
        "bundle exec htmlproofer ./_site",
        "Ran on 12 files!",  # 2
        "",  # 3
        "",  # 4
        "- ./_site/projects.html",  # 5
        "  *  External link https://TECLIB.github.io/react-winjs failed: 404 No error",  # 6
        "  *  External link https://teclib.github.io/CFPropertyList/apple-touch-icon.png failed: 404 No error",  # 7
        "htmlproofer 3.7.2 | Error:  HTML-Proofer found 2 failures!",  # 8
    )
    assert _shown(data)[0] in (6, 7)


def test_unittests_report_is_its_header_and_the_exception_that_ends_its_traceback() -> None:
    # https://github.com/openstack-charmers/zaza/issues/467 (unittest's report; the logger's time
    # and level columns removed)
    data = _travis(
        "python -m unittest",
        "test_fail (tests.test_ceph.BaseTests) ... FAIL",  # 2
        "",  # 3
        "======================================================================",  # 4
        "FAIL: test_fail (tests.test_ceph.BaseTests)",  # 5
        "----------------------------------------------------------------------",  # 6
        "Traceback (most recent call last):",  # 7
        '  File "/home/ubuntu/juju-verify/tests/functional/./tests/test_ceph.py", line 22, in test_fail',  # 8
        '    self.fail("This test should failed.")',  # 9
        "AssertionError: This test should failed.",  # 10
        "----------------------------------------------------------------------",  # 11
        "Ran 1 test in 0.386s",  # 12
        "",  # 13
        "FAILED (failures=1)",  # 14
    )
    assert _shown(data) == [5, 10]


def test_darts_test_runner_shows_the_first_failed_test_and_its_error() -> None:
    # https://github.com/dart-lang/test/blob/master/pkgs/test/test/runner/expanded_reporter_test.dart
    # (the expanded reporter's output for failing tests; the runner prints a "00:00 " time first)
    assert _kind("00:00 +2 -2: Some tests failed.") == "summary"
    data = _travis(
        "pub run test",
        "00:00 +0: failure 1",  # 2
        "00:00 +0 -1: failure 1 [E]",  # 3
        "  oh no",  # 4
        "  test.dart 6:33  main.<fn>",  # 5
        "",  # 6
        "00:00 +0 -1: success 1",  # 7
        "00:00 +1 -1: failure 2",  # 8
        "00:00 +1 -2: failure 2 [E]",  # 9
        "  oh no",  # 10
        "  test.dart 8:33  main.<fn>",  # 11
        "",  # 12
        "00:00 +1 -2: success 2",  # 13
        "00:00 +2 -2: Some tests failed.",  # 14
    )
    assert _shown(data) == [3, 4, 5]


def test_a_failed_doctest_shows_its_place_and_example_not_its_count() -> None:
    # https://github.com/Acellera/htmd/issues/820 (doctest in a Travis build; the example lines
    # indented as doctest prints them); the closing count as https://github.com/earnestt1234/seedir/issues/21 shows it
    assert _kind("***Test Failed*** 17 failures.") == "summary"
    data = _travis(
        "python -m htmd.molecule.molecule",
        "**********************************************************************",  # 2
        'File "/home/travis/miniconda/envs/travis-env/lib/python3.6/site-packages/htmd/molecule/molecule.py", '
        "line 565, in __main__.Molecule.append",  # 3
        "Failed example:",  # 4
        '    mol.filter("not resname BEN")',  # 5
        "Expected nothing",  # 6
        "Got:",  # 7
        "    array([1630, 1631, 1632, 1633, 1634, 1635, 1636, 1637, 1638], dtype=int32)",  # 8
        "**********************************************************************",  # 9
        "1 items had failures:",  # 10
        "   1 of  12 in __main__.Molecule.append",  # 11
        "***Test Failed*** 1 failures.",  # 12
    )
    assert _shown(data) == [3, 4, 5]


def test_a_travis_job_stopped_for_silence_or_time_points_at_travis_line() -> None:
    # https://github.com/elucideye/drishti/issues/98 (Travis's no-output timeout) and
    # https://github.com/travis-ci/travis-ci/issues/8463 (its time limit): the log ends with no
    # command exit line, so only these lines say what happened.
    stalled = log_bytes(
        "$ ctest --output-on-failure",  # 1
        "Test project /home/travis/build/elucideye/drishti/_builds",  # 2
        "    Start 1: drishti_test",  # 3
        "",  # 4
        "No output has been received in the last 10m0s, this potentially indicates a stalled build or something "
        "wrong with the build itself.",  # 5
        "Check the details on how to adjust your build configuration on: "
        "https://docs.travis-ci.com/user/common-build-problems/#Build-times-out-because-no-output-was-received",  # 6
        "",  # 7
        "The build has been terminated",  # 8
    )
    assert _shown(stalled) == [5]
    limit = log_bytes(
        "$ travis_wait 60 cabal build",  # 1
        "Still running (41 of 60): cabal build",  # 2
        "The job exceeded the maximum time limit for jobs, and has been terminated.",  # 3
    )
    assert _shown(limit) == [3]
