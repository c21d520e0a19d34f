from ragchat_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 9380
    # JSON bodies larger than this are refused with 413 / code 102.
    max_body_bytes: int = 1024 * 1024
    # Per uploaded file (multipart), refused with 413 / code 102 when larger.
    max_upload_bytes: int = 50 * 1024 * 1024
    # Seconds an API key lookup is cached in-process (revocation takes effect within this).
    auth_cache_s: float = 5.0
