from ragchat_common.settings import GrpcServiceSettings, names_list


class ChatSettings(GrpcServiceSettings):
    service_name: str = "chat-service"
    grpc_port: int = 50051
    # The deployment's model: RAGCHAT_LLM_MODEL when an OpenAI-compatible server is used, else the
    # local model's name (the same variables the inference worker reads).
    llm_model: str = ""
    local_model_name: str = "smollm2-135m-instruct"
    # More model names a chat may choose (comma-separated), besides the default one.
    llm_models: str = ""
    # The rerank models retrieval-service serves (the same RAGCHAT_RERANK_MODELS it reads): a chat
    # naming another is refused when it is saved.
    rerank_models: str = ""
    # Seconds to wait for retrieval-service when resolving dataset names on read.
    dataset_lookup_timeout_s: float = 2.0

    @property
    def default_model(self) -> str:
        return self.llm_model or self.local_model_name

    @property
    def available_models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.default_model, *names_list(self.llm_models)]))

    @property
    def rerank_model_names(self) -> tuple[str, ...]:
        return names_list(self.rerank_models)
