from ragchat_common.settings import ServiceSettings


class WorkerSettings(ServiceSettings):
    service_name: str = "inference-worker"
    # Ops listener (/healthz, /readyz, /metrics).
    ops_host: str = "127.0.0.1"
    ops_port: int = 9391
