#!/bin/sh
# Installs what quinte needs on a Debian machine, only what is missing.
#   scripts/deps.sh run    ffmpeg, libheif-examples (heif-convert decodes HEIC and AVIF photos), libdlib-dev
#                          with liblapack-dev and libblas-dev (the face detector links dlib),
#                          liblcms2-dev (photo colour management links lcms2) and
#                          fonts: fonts-dejavu-core, fonts-noto-core, fonts-noto-cjk, fonts-symbola and
#                          fontconfig (lower-thirds and captions in every script; monochrome emoji), gcc and g++
#                          (cgo builds the face detector's C++ and links lcms2)
#   scripts/deps.sh test   the run set, redis-server, versitygw, libvips-tools (reference colours) and
#                          chromium (the artist's page is tested in it, through chromedp)
#   scripts/deps.sh bench  the test set (vipsthumbnail is the photo benchmark's comparison)
# As root it installs with apt-get and `go install`; otherwise it says what to install and fails.
set -eu
what=${1:-run}

fonts="fontconfig fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-symbola"
debs="ffmpeg libheif-examples libdlib-dev liblapack-dev libblas-dev liblcms2-dev $fonts gcc g++"
cmds="ffmpeg ffprobe heif-convert fc-list gcc g++"
case "$what" in
  test|bench) debs="$debs redis-server libvips-tools chromium"; cmds="$cmds redis-server vips vipsthumbnail chromium" ;;
esac

missing=""
for c in $cmds; do
  command -v "$c" >/dev/null 2>&1 || missing="yes"
done
# Libraries have no command to look for: ask dpkg.
for p in libdlib-dev liblapack-dev libblas-dev liblcms2-dev $fonts; do dpkg -s "$p" >/dev/null 2>&1 || missing="yes"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing $debs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $debs >/dev/null
  else
    echo "deps: quinte needs these Debian packages: $debs" >&2
    echo "      install them (sudo apt-get install $debs) and run make again" >&2
    exit 1
  fi
fi

if [ "$what" != run ]; then
  gobin=$(go env GOBIN)
  [ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
  if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$gobin/versitygw" ]; then
    echo "deps: installing versitygw (the S3 server the tests run against; about 2 minutes the first time)"
    go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
  fi
fi
