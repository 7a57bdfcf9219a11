# The image `stampede deploy kubernetes` runs: docs/distributed.md.
#   docker build -t registry.example/stampede:0.1.0 .
# Two stages: the build (Rust toolchain, ~2 GB) stays behind; the runtime is
# Debian slim with CA certificates (TLS is verified against the system roots) and
# the one binary, run as an unprivileged user. No OpenSSL: TLS is rustls + ring.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so that a change in stampede's own code rebuilds only it.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo 'fn main() {}' > benches/micro.rs \
    && cargo fetch --locked
COPY . .
RUN cargo build --release --locked --bin stampede \
    && strip target/release/stampede

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin stampede \
    && mkdir /results && chown stampede:stampede /results
COPY --from=build /src/target/release/stampede /usr/local/bin/stampede
USER 10001:10001
WORKDIR /results
# --metrics-addr in the manifests.
EXPOSE 9464
ENTRYPOINT ["stampede"]
CMD ["--help"]
