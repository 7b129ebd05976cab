#!/usr/bin/env bash
# Builds a test image from tests/images/NAME/ (a Dockerfile FROM the local base image) as
# spectrumx/NAME:latest. The build context's hash is stored as a label, so the image is rebuilt only
# when its inputs change. Usage: build.sh NAME [extra docker build args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$1; shift
context="$here/$name"
bash "$here/ensure_docker.sh"
bash "$here/build_base.sh"
hash=$(cd "$context" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
image="spectrumx/$name:latest"
have=$(docker image inspect -f '{{ index .Config.Labels "spectrumx.context-hash" }}' "$image" 2>/dev/null || true)
if [ "$have" = "$hash" ]; then exit 0; fi
docker build -q --label "spectrumx.context-hash=$hash" -t "$image" "$@" "$context" >/dev/null
echo "built $image ($hash)"
