# quinte: one image for both container roles (`api` and `worker`).

FROM golang:1.26-bookworm AS build
# The face detector (pipeline/face) is dlib through cgo; photo colour management (pipeline/photo/icc)
# is lcms2 through cgo.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libdlib-dev liblapack-dev libblas-dev liblcms2-dev \
 && rm -rf /var/lib/apt/lists/*
# The golang image sets GOTOOLCHAIN=local, which would build with whatever Go the image has and ignore
# go.mod's toolchain line (the patched standard library the README relies on). Name it here; the Go
# command fetches it (configs/deploy_test.go checks the two agree).
ENV GOTOOLCHAIN=go1.26.10
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/quinte ./cmd/quinte

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg libheif-examples ca-certificates libdlib19.1 liblapack3 libblas3 liblcms2-2 \
    fontconfig fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-symbola \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 quinte \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/quinte --create-home quinte
COPY --from=build /out/quinte /usr/local/bin/quinte
COPY configs/ /etc/quinte/
USER quinte
WORKDIR /var/lib/quinte
ENV QUINTE_CONFIG=/etc/quinte/docker.yaml
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/quinte"]
CMD ["api"]
