# Builds the static, non-root rebound image used by docker-compose.yml.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/rebound ./cmd/rebound && mkdir -p /out/settlements

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rebound /rebound
# The settlement folder: a volume mounted here starts owned by nonroot.
COPY --from=build --chown=nonroot:nonroot /out/settlements /var/lib/rebound/settlements
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/rebound"]
CMD ["api"]
