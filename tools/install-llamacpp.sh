#!/usr/bin/env bash
# Build llama.cpp's native `llama-server` (and keep its GGUF converter) from the llama-cpp-python sdist that
# locks/llamacpp.txt pins by sha256, for the tests that probe a real llama.cpp server on loopback
# (testbed/llamacpp_server.py, tests/probes/test_real_llamacpp.py).
#
# The sdist (76 MB) is the only form llama-cpp-python ships for this platform, and it carries llama.cpp's full
# source under vendor/llama.cpp/. Only the llama-server target is built (4 to 5 minutes on 2 cores), with
# GGML_NATIVE=OFF so the binary does not depend on the exact CPU it was built on, and statically linked so the
# finished folder can be moved into place in one rename.
#
# Cached by content: the folder's name is a hash of the sdist's sha256 (from the lock), the cmake flags and the
# compiler's version, so a changed lock, flag or compiler builds a new binary and a stale one is never used.
# It lives under ~/.cache (shared by every clone on this machine, so a clean clone's `make test` does not
# rebuild) and is written whole or not at all: the build runs in a temporary folder that is renamed into place
# after its smoke test, with a stamp last. .cache/llamacpp in the checkout is a link to the current folder.
#
#   tools/install-llamacpp.sh              build (or find) the binary, link .cache/llamacpp to it
#   tools/install-llamacpp.sh --print-key  print the locked version, its sha256, the cache key and folder
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK=locks/llamacpp.txt
PYTHON=${PYTHON:-python3}
CMAKE_FLAGS=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=ON
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF)
JOBS=${LLAMACPP_BUILD_JOBS:-2}

# The lock's one requirement: name==version and its sha256 (tests/test_locks.py checks the lock's form).
read -r VERSION SHA256 < <(sed -n '/^llama-cpp-python==/{N;s/^llama-cpp-python==\([^ ]*\) \\\n *--hash=sha256:\([0-9a-f]\{64\}\).*/\1 \2/p}' "$LOCK")
[[ -n "${SHA256:-}" ]] || { echo "$LOCK: no 'llama-cpp-python==VERSION' with a --hash=sha256 line; run tools/lock.sh" >&2; exit 1; }

COMPILER=$(c++ --version | head -n 1)
KEY=$(printf '%s\n' "$SHA256" "${CMAKE_FLAGS[*]}" "$COMPILER" | sha256sum | cut -c1-16)
CACHE_ROOT=${LLAMACPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/model-catalog}
DEST="$CACHE_ROOT/llama-server-$KEY"
# What the build would use, and nothing else (tests/test_locks.py checks it against the lock).
if [[ "${1:-}" == "--print-key" ]]; then
    printf '%s\n' "$VERSION" "$SHA256" "$KEY" "$DEST"
    exit 0
fi
mkdir -p .cache "$CACHE_ROOT"

# What the tests use from the folder; a folder that lacks any of it (made by an older layout) is built again.
complete() {
    [[ -f "$1/.complete" && -x "$1/bin/llama-server" && -f "$1/convert/convert_hf_to_gguf.py" && -d "$1/convert/conversion" && -d "$1/convert/gguf-py" ]]
}

if complete "$DEST"; then
    ln -sfn "$DEST" .cache/llamacpp
    echo "llama-server $VERSION is up to date ($DEST)"
    exit 0
fi

start=$(date +%s)
WORK=$(mktemp -d "$CACHE_ROOT/.build-$KEY.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# The sdist's address comes from the package index's JSON page; the file is trusted only if its sha256 is the
# lock's, whatever the index said.
"$PYTHON" - "$VERSION" "$SHA256" "$WORK/sdist.tar.gz" <<'PY'
import hashlib, json, sys, urllib.request

version, expected, target = sys.argv[1:]
name = f"llama_cpp_python-{version}.tar.gz"
request = urllib.request.Request(
    "https://pypi.org/simple/llama-cpp-python/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
)
with urllib.request.urlopen(request, timeout=60) as response:
    files = json.load(response)["files"]
urls = [entry["url"] for entry in files if entry["filename"] == name]
if not urls:
    sys.exit(f"the package index lists no {name}")
digest = hashlib.sha256()
with urllib.request.urlopen(urls[0], timeout=600) as response, open(target, "wb") as out:
    while chunk := response.read(1 << 20):
        digest.update(chunk)
        out.write(chunk)
if digest.hexdigest() != expected:
    sys.exit(f"{name}: sha256 {digest.hexdigest()} is not the lock's {expected}")
PY
tar -xzf "$WORK/sdist.tar.gz" -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
cmake -S "$SRC" -B "$WORK/build" "${CMAKE_FLAGS[@]}" >"$WORK/cmake.log" 2>&1 || { tail -n 40 "$WORK/cmake.log" >&2; exit 1; }
cmake --build "$WORK/build" --target llama-server -j "$JOBS" >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; exit 1; }

OUT="$WORK/out"
mkdir -p "$OUT/bin" "$OUT/convert"
cp "$WORK/build/bin/llama-server" "$OUT/bin/"
# The converter that makes the tests' GGUF from the tiny Llama (testbed/tiny_gguf.py) and its gguf-py library.
cp "$SRC/convert_hf_to_gguf.py" "$OUT/convert/"
cp -r "$SRC/conversion" "$SRC/gguf-py" "$OUT/convert/"
"$OUT/bin/llama-server" --version >"$OUT/version.txt" 2>&1 || { cat "$OUT/version.txt" >&2; exit 1; }
printf 'llama-cpp-python==%s\nsdist sha256 %s\nflags %s\ncompiler %s\n' "$VERSION" "$SHA256" "${CMAKE_FLAGS[*]}" "$COMPILER" >"$OUT/BUILD_INFO"
touch "$OUT/.complete"
rm -rf "$DEST"
# -T: another clone that finished the same build first leaves a complete folder, which is as good as this one.
mv -T "$OUT" "$DEST" 2>/dev/null || complete "$DEST"
ln -sfn "$DEST" .cache/llamacpp
echo "llama-server $VERSION built in $(( $(date +%s) - start )) s: $DEST ($(head -n 1 "$DEST/version.txt"))"
