# itgc in a container: `docker build -t itgc .` then `docker run --rm itgc` builds and checks
# the demo organisation; `docker run --rm -v "$PWD:/work" itgc check --period 2026-Q3` checks
# a project (mount it writable by uid 10001).

# Build stage: the locked dependency set, a release binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo install --locked --path . --root /out --bin itgc

# Final stage: the binary and git (plus CA certificates for the GitHub API), as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 itgc \
    && mkdir /work \
    && chown itgc:itgc /work
COPY --from=build /out/bin/itgc /usr/local/bin/itgc
USER itgc
WORKDIR /work
ENTRYPOINT ["itgc"]
CMD ["demo"]
