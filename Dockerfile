# syntax=docker/dockerfile:1
# Builds the static, non-root rebound image used by docker-compose.yml: the
# api, the worker, the simulators, and the Temporal server (`rebound temporal`).
#
# Modules are downloaded in a layer of their own, which only a go.mod or
# go.sum change invalidates; the module and build caches are BuildKit cache
# mounts that outlive layers, so a source change recompiles the packages it
# touches instead of all ~1,900 (the Temporal server's k8s.io among them).
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0 GOMODCACHE=/go/pkg/mod GOCACHE=/root/.cache/go-build
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/rebound ./cmd/rebound && mkdir -p /out/settlements

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rebound /rebound
# The settlement folder: a volume mounted here starts owned by nonroot.
COPY --from=build --chown=nonroot:nonroot /out/settlements /var/lib/rebound/settlements
USER nonroot:nonroot
EXPOSE 8080 7233
ENTRYPOINT ["/rebound"]
CMD ["api"]
