#!/usr/bin/env bash
# Gradescope autograder set-up for __HOMEWORK__, written by `grader gradescope-bundle`.
# Gradescope runs this once while building the autograder's image (Ubuntu, as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
python3 -m venv /opt/torchgrade
# A CPU build of torch first: pip would otherwise pull a multi-GB CUDA build.
/opt/torchgrade/bin/pip install -q torch==__TORCH__ --index-url https://download.pytorch.org/whl/cpu
# The course folder holds the grader, this assignment's hidden suite and its solution; the
# package is installed from it in place (the course itself is never copied to site-packages).
course=/autograder/source/torchgrade
/opt/torchgrade/bin/pip install -q -e "$course"
# The grader readable by the unprivileged submission; its suites and solutions root-only.
chmod -R a+rX "$course/grader"
chmod -R go-rwx "$course/grader/suites" "$course/solutions"
