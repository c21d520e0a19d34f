# syntax=docker/dockerfile:1
# ragchat gateway — build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t ragchat/gateway .
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# -- build: a virtualenv with common + the service, pinned by constraints.txt ------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/venv
COPY constraints.txt ./
COPY common/ common/
COPY client/ client/
COPY gateway/ gateway/
# The `ragchat` command line too: operators mint and revoke API keys from a gateway pod.
COPY cli/ cli/
RUN pip install --no-cache-dir -c constraints.txt ./common ./client ./gateway ./cli

# -- runtime: slim, non-root, only the virtualenv ---------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="ragchat-gateway" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 ragchat \
 && useradd --system --uid 10001 --gid ragchat --home-dir /home/ragchat --create-home ragchat
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    RAGCHAT_GATEWAY_HOST=0.0.0.0 \
    RAGCHAT_GATEWAY_PORT=9380 \
    RAGCHAT_PUBLIC_GRPC_HOST=0.0.0.0 \
    RAGCHAT_PUBLIC_GRPC_PORT=9390
USER 10001:10001
WORKDIR /home/ragchat
EXPOSE 9380 9390
ENTRYPOINT ["ragchat-gateway"]
