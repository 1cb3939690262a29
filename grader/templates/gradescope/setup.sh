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
/opt/torchgrade/bin/pip install -q /autograder/source/torchgrade
# The hidden suites and solutions readable by root only: the submission runs unprivileged.
site="$(/opt/torchgrade/bin/python -c 'import torchgrade, pathlib; print(pathlib.Path(torchgrade.__file__).parent.parent)')"
chmod -R go-rwx "$site/grader/suites" "$site/solutions" /autograder/source/torchgrade
