"""gRPC adapter: protobuf in, domain call, protobuf out. No logic lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

import ragchat_retrieval.domain.chunks as chunks
import ragchat_retrieval.domain.datasets as datasets
import ragchat_retrieval.domain.documents as documents
import ragchat_retrieval.domain.embedding_check as embedding_check
import ragchat_retrieval.domain.ingest as ingest
import ragchat_retrieval.domain.ingestion_logs as ingestion_logs
import ragchat_retrieval.domain.metadata as metadata
import ragchat_retrieval.domain.search as search
import ragchat_retrieval.domain.tags as tags
from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat.retrieval.v1 import retrieval_pb2_grpc
from ragchat_common.errors import InvalidArgument
from ragchat_common.structs import from_list_value, from_struct, to_struct
from ragchat_retrieval.domain.deps import Deps
from ragchat_retrieval.domain.ports import SparseVector

SERVICE_NAME = "ragchat.retrieval.v1.RetrievalService"
PIECE_BYTES = 1024 * 1024


def dataset_pb(d: dict[str, Any]) -> pb.Dataset:
    return pb.Dataset(
        id=d["id"],
        tenant_id=d["tenant_id"],
        name=d["name"],
        description=d.get("description"),
        avatar=d.get("avatar"),
        embedding_model=d.get("embedding_model", ""),
        chunk_method=d.get("chunk_method", "naive"),
        parser_config=to_struct(d.get("parser_config")),
        permission=d.get("permission", "me"),
        chunk_count=int(d.get("chunk_count", 0)),
        document_count=int(d.get("document_count", 0)),
        create_time=int(d.get("create_time", 0)),
        update_time=int(d.get("update_time", 0)),
        pagerank=int(d.get("pagerank", 0) or 0),
        language=d.get("language") or datasets.DEFAULT_LANGUAGE,
    )


def _optional(request: Any, name: str) -> Any:
    """The value of a proto3 `optional` field, or None when it was not set."""
    return getattr(request, name) if request.HasField(name) else None


def document_pb(d: dict[str, Any]) -> pb.Document:
    return pb.Document(
        id=d["id"],
        dataset_id=d["dataset_id"],
        tenant_id=d["tenant_id"],
        name=d["name"],
        size=int(d.get("size", 0)),
        type=d.get("type", ""),
        run=d.get("run", "UNSTART"),
        progress=float(d.get("progress", 0.0)),
        progress_msg=d.get("progress_msg", ""),
        chunk_count=int(d.get("chunk_count", 0)),
        token_count=int(d.get("token_count", 0)),
        chunk_method=d.get("chunk_method", "naive"),
        parser_config=to_struct(d.get("parser_config")),
        meta_fields=to_struct(d.get("meta_fields")),
        process_begin_at=int(d.get("process_begin_at", 0) or 0),
        process_duration=float(d.get("process_duration", 0.0)),
        create_time=int(d.get("create_time", 0)),
        update_time=int(d.get("update_time", 0)),
        location=d.get("location", d["name"]),
        status=str(d.get("status", "1")),
    )


def chunk_pb(c: dict[str, Any]) -> pb.Chunk:
    return pb.Chunk(
        id=c["id"],
        content=c.get("content", ""),
        document_id=c.get("document_id", ""),
        document_name=c.get("document_name", ""),
        dataset_id=c.get("dataset_id", ""),
        important_keywords=list(c.get("important_keywords") or []),
        questions=list(c.get("questions") or []),
        tag_kwd=list(c.get("tag_kwd") or []),
        available=bool(c.get("available", True)),
        create_time=int(c.get("create_time", 0)),
        position=int(c.get("position", 0)),
        image_id=c.get("image_id", ""),
    )


def ingestion_log_pb(log: dict[str, Any]) -> pb.IngestionLog:
    return pb.IngestionLog(
        id=log["id"],
        dataset_id=log["dataset_id"],
        document_id=log.get("document_id", ""),
        document_name=log.get("document_name", ""),
        document_suffix=log.get("document_suffix", ""),
        document_type=log.get("document_type", ""),
        parser_id=log.get("parser_id", ""),
        operation_status=log.get("operation_status", ""),
        progress=float(log.get("progress", 0.0)),
        progress_msg=log.get("progress_msg", ""),
        process_begin_at=int(log.get("process_begin_at", 0)),
        process_duration=float(log.get("process_duration", 0.0)),
        create_time=int(log.get("create_time", 0)),
        update_time=int(log.get("update_time", 0)),
        chunk_count=int(log.get("chunk_count", 0)),
    )


class RetrievalServicer(retrieval_pb2_grpc.RetrievalServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # -- datasets ------------------------------------------------------------------------
    async def GetDatasets(self, request: pb.GetDatasetsRequest, context: grpc.aio.ServicerContext) -> Any:
        found, missing = await datasets.get_datasets(self.deps, request.tenant_id, list(request.ids))
        return pb.GetDatasetsResponse(datasets=[dataset_pb(d) for d in found], missing=missing)

    async def CreateDataset(self, request: pb.CreateDatasetRequest, context: grpc.aio.ServicerContext) -> Any:
        dataset = await datasets.create_dataset(
            self.deps,
            request.tenant_id,
            name=request.name,
            description=_optional(request, "description"),
            avatar=_optional(request, "avatar"),
            embedding_model=_optional(request, "embedding_model"),
            chunk_method=_optional(request, "chunk_method"),
            permission=_optional(request, "permission"),
            parser_config=from_struct(request.parser_config) if request.HasField("parser_config") else None,
            auto_metadata_config=(
                from_struct(request.auto_metadata_config) if request.HasField("auto_metadata_config") else None
            ),
        )
        return dataset_pb(dataset)

    async def UpdateDataset(self, request: pb.UpdateDatasetRequest, context: grpc.aio.ServicerContext) -> Any:
        dataset = await datasets.update_dataset(self.deps, request.tenant_id, request.id, from_struct(request.fields))
        return dataset_pb(dataset)

    async def ListDatasets(self, request: pb.ListDatasetsRequest, context: grpc.aio.ServicerContext) -> Any:
        rows, total = await datasets.list_datasets(
            self.deps,
            request.tenant_id,
            page=request.page,
            page_size=request.page_size,
            orderby=request.orderby,
            desc=request.desc,
            id=request.id,
            name=request.name,
            ids=list(request.ids),
        )
        return pb.ListDatasetsResponse(datasets=[dataset_pb(d) for d in rows], total=total)

    async def DeleteDatasets(self, request: pb.DeleteRequest, context: grpc.aio.ServicerContext) -> Any:
        count, errors = await datasets.delete_datasets(
            self.deps, request.tenant_id, list(request.ids), request.delete_all
        )
        return pb.DeleteResponse(success_count=count, errors=errors)

    async def GetDatasetSummary(self, request: pb.DatasetRef, context: grpc.aio.ServicerContext) -> Any:
        summary = await datasets.dataset_summary(self.deps, request.tenant_id, request.id)
        return pb.DatasetSummary(**summary)

    # -- documents -----------------------------------------------------------------------
    async def UploadDocument(
        self, request_iterator: AsyncIterator[pb.UploadDocumentRequest], context: grpc.aio.ServicerContext
    ) -> Any:
        header: pb.UploadDocumentRequest.Header | None = None
        pieces: list[bytes] = []
        received = 0
        limit = self.deps.limits.max_upload_bytes
        async for message in request_iterator:
            if message.HasField("header"):
                header = message.header
                documents.check_upload_size(header.name, header.size, limit)
            elif header is None:
                raise InvalidArgument("The upload must start with its header.")
            else:
                received += len(message.data)
                documents.check_upload_size(header.name, received, limit)
                pieces.append(message.data)
        if header is None:
            raise InvalidArgument("The upload must start with its header.")
        incoming = documents.IncomingFile(header.name, b"".join(pieces), empty=header.empty)
        (doc,) = await documents.upload_documents(self.deps, header.tenant_id, header.dataset_id, [incoming])
        return document_pb(doc)

    async def UploadDocuments(
        self, request_iterator: AsyncIterator[pb.UploadDocumentRequest], context: grpc.aio.ServicerContext
    ) -> Any:
        (tenant_id, dataset_id), incoming = await self._uploaded_files(request_iterator)
        stored = await documents.upload_documents(self.deps, tenant_id, dataset_id, incoming)
        return pb.UploadDocumentsResponse(documents=[document_pb(d) for d in stored])

    async def StoreFiles(
        self, request_iterator: AsyncIterator[pb.UploadDocumentRequest], context: grpc.aio.ServicerContext
    ) -> Any:
        (tenant_id, _), incoming = await self._uploaded_files(request_iterator)
        stored = await documents.store_files(self.deps, tenant_id, incoming)
        return pb.StoreFilesResponse(files=[pb.StoredFile(**info) for info in stored])

    async def _uploaded_files(
        self, request_iterator: AsyncIterator[pb.UploadDocumentRequest]
    ) -> tuple[tuple[str, str], list[documents.IncomingFile]]:
        """The files of an upload stream (each header starts one) and their (tenant, dataset)."""
        limit = self.deps.limits.max_upload_bytes
        scope: tuple[str, str] | None = None
        files: list[tuple[pb.UploadDocumentRequest.Header, list[bytes]]] = []
        received = 0
        async for message in request_iterator:
            if message.HasField("header"):
                header = message.header
                if scope is None:
                    scope = (header.tenant_id, header.dataset_id)
                elif scope != (header.tenant_id, header.dataset_id):
                    raise InvalidArgument("Every file of one upload goes to the same dataset.")
                documents.check_upload_size(header.name, header.size, limit)
                files.append((header, []))
                received = 0
            elif not files:
                raise InvalidArgument("The upload must start with its header.")
            else:
                header, pieces = files[-1]
                received += len(message.data)
                documents.check_upload_size(header.name, received, limit)
                pieces.append(message.data)
        if scope is None:
            raise InvalidArgument("The upload must start with its header.")
        incoming = [
            documents.IncomingFile(header.name, b"".join(pieces), empty=header.empty) for header, pieces in files
        ]
        return scope, incoming

    async def ListDocuments(self, request: pb.ListDocumentsRequest, context: grpc.aio.ServicerContext) -> Any:
        rows, total = await documents.list_documents(
            self.deps,
            request.tenant_id,
            request.dataset_id,
            page=request.page,
            page_size=request.page_size,
            orderby=request.orderby,
            desc=request.desc,
            id=request.id,
            name=request.name,
            keywords=request.keywords,
            create_time_from=request.create_time_from,
            create_time_to=request.create_time_to,
            ids=list(request.ids),
            runs=list(request.run),
            suffixes=list(request.suffix),
            types=list(request.types),
            metadata_condition=from_struct(request.metadata_condition)
            if request.HasField("metadata_condition")
            else None,
            metadata=from_struct(request.metadata) if request.HasField("metadata") else None,
        )
        return pb.ListDocumentsResponse(docs=[document_pb(d) for d in rows], total=total)

    async def UpdateDocument(self, request: pb.UpdateDocumentRequest, context: grpc.aio.ServicerContext) -> Any:
        doc = await documents.update_document(
            self.deps, request.tenant_id, request.dataset_id, request.id, from_struct(request.fields)
        )
        return document_pb(doc)

    async def DeleteDocuments(self, request: pb.DeleteRequest, context: grpc.aio.ServicerContext) -> Any:
        count, errors = await documents.delete_documents(
            self.deps,
            request.tenant_id,
            request.dataset_id,
            list(request.ids),
            request.delete_all,
            all_or_nothing=request.all_or_nothing,
        )
        return pb.DeleteResponse(success_count=count, errors=errors)

    async def DownloadDocument(
        self, request: pb.DocumentRef, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.DownloadDocumentResponse]:
        doc = await documents.get_document(self.deps, request.tenant_id, request.dataset_id, request.id)
        pieces = await self.deps.store.open_file(doc["id"], PIECE_BYTES)  # NOT_FOUND before any message
        yield pb.DownloadDocumentResponse(document=document_pb(doc))
        async for piece in pieces:
            yield pb.DownloadDocumentResponse(data=piece)

    # -- parsing -------------------------------------------------------------------------
    async def StartParsing(self, request: pb.ParseRequest, context: grpc.aio.ServicerContext) -> Any:
        count, errors = await ingest.start_parsing(
            self.deps, request.tenant_id, request.dataset_id, list(request.document_ids)
        )
        return pb.ParseResponse(success_count=count, errors=errors)

    async def StopParsing(self, request: pb.ParseRequest, context: grpc.aio.ServicerContext) -> Any:
        count, errors = await ingest.stop_parsing(
            self.deps, request.tenant_id, request.dataset_id, list(request.document_ids)
        )
        return pb.ParseResponse(success_count=count, errors=errors)

    # -- chunks --------------------------------------------------------------------------
    async def ListChunks(self, request: pb.ListChunksRequest, context: grpc.aio.ServicerContext) -> Any:
        doc, rows, total = await chunks.list_chunks(
            self.deps,
            request.tenant_id,
            request.dataset_id,
            request.document_id,
            page=request.page,
            page_size=request.page_size,
            keywords=request.keywords,
            id=request.id,
        )
        return pb.ListChunksResponse(chunks=[chunk_pb(c) for c in rows], total=total, document=document_pb(doc))

    async def AddChunk(self, request: pb.AddChunkRequest, context: grpc.aio.ServicerContext) -> Any:
        chunk = await chunks.add_chunk(
            self.deps,
            request.tenant_id,
            request.dataset_id,
            request.document_id,
            content=request.content,
            important_keywords=list(request.important_keywords),
            questions=list(request.questions),
            tag_kwd=list(request.tag_kwd),
            image=request.image,
        )
        return chunk_pb(chunk)

    async def UpdateChunk(self, request: pb.UpdateChunkRequest, context: grpc.aio.ServicerContext) -> Any:
        chunk = await chunks.update_chunk(
            self.deps,
            request.tenant_id,
            request.dataset_id,
            request.document_id,
            request.id,
            from_struct(request.fields),
            image=request.image,
        )
        return chunk_pb(chunk)

    async def GetImage(self, request: pb.ImageRef, context: grpc.aio.ServicerContext) -> Any:
        return pb.Image(data=await chunks.get_image(self.deps, request.tenant_id, request.id))

    async def DeleteChunks(self, request: pb.DeleteChunksRequest, context: grpc.aio.ServicerContext) -> Any:
        count, errors = await chunks.delete_chunks(
            self.deps, request.tenant_id, request.dataset_id, request.document_id, list(request.ids), request.delete_all
        )
        return pb.DeleteResponse(success_count=count, errors=errors)

    # -- search --------------------------------------------------------------------------
    async def Search(self, request: pb.SearchRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await search.search(
            self.deps,
            search.SearchQuery(
                tenant_id=request.tenant_id,
                dataset_ids=list(request.dataset_ids),
                document_ids=list(request.document_ids),
                query=request.query,
                similarity_threshold=request.similarity_threshold,
                keywords_similarity_weight=request.keywords_similarity_weight,
                top_k=request.top_k,
                top_n=request.top_n,
                page=request.page,
                query_vector=list(request.query_vector),
                rerank_model=request.rerank_model,
                metadata_condition=(
                    from_struct(request.metadata_condition) if request.HasField("metadata_condition") else None
                ),
                check_document_ids=request.check_document_ids,
            ),
        )
        return pb.SearchResponse(
            chunks=[
                pb.ScoredChunk(
                    id=c.id,
                    content=c.content,
                    document_id=c.document_id,
                    document_name=c.document_name,
                    dataset_id=c.dataset_id,
                    similarity=c.similarity,
                    vector_similarity=c.vector_similarity,
                    term_similarity=c.term_similarity,
                    important_keywords=c.important_keywords,
                    position=c.position,
                )
                for c in result.chunks
            ],
            doc_aggs=[pb.DocAgg(doc_id=d, doc_name=n, count=k) for d, n, k in result.doc_aggs],
            total=result.total,
        )

    async def Embed(self, request: pb.EmbedRequest, context: grpc.aio.ServicerContext) -> Any:
        vectors = await search.embed_texts(self.deps, list(request.texts))
        return pb.EmbedResponse(vectors=[pb.Embedding(values=v) for v in vectors])

    # -- document metadata, tags, embedding check, ingestion logs (v0.27) ------------------
    async def FlattenMetadata(self, request: pb.MetadataRequest, context: grpc.aio.ServicerContext) -> Any:
        flat = await metadata.flattened_metadata(self.deps, request.tenant_id, list(request.dataset_ids))
        return pb.MetadataView(fields=to_struct(flat))

    async def SummarizeMetadata(self, request: pb.MetadataRequest, context: grpc.aio.ServicerContext) -> Any:
        dataset_id = request.dataset_ids[0] if request.dataset_ids else ""
        summary = await metadata.metadata_summary(self.deps, request.tenant_id, dataset_id, list(request.document_ids))
        return pb.MetadataView(fields=to_struct(summary))

    async def UpdateMetadata(self, request: pb.UpdateMetadataRequest, context: grpc.aio.ServicerContext) -> Any:
        updated, matched = await metadata.update_metadata(
            self.deps,
            request.tenant_id,
            request.dataset_id,
            document_ids=list(request.document_ids),
            condition=from_struct(request.metadata_condition),
            updates=from_list_value(request.updates),
            deletes=from_list_value(request.deletes),
        )
        return pb.UpdateMetadataResponse(updated=updated, matched_docs=matched)

    async def CountTags(self, request: pb.CountTagsRequest, context: grpc.aio.ServicerContext) -> Any:
        counted = await tags.count_tags(self.deps, request.tenant_id, list(request.dataset_ids))
        return pb.CountTagsResponse(tags=[pb.TagCount(tag=t, count=n) for t, n in counted])

    async def DeleteTags(self, request: pb.DeleteTagsRequest, context: grpc.aio.ServicerContext) -> Any:
        changed = await tags.delete_tags(self.deps, request.tenant_id, request.dataset_id, list(request.tags))
        return pb.EditTagsResponse(chunks_changed=changed)

    async def RenameTag(self, request: pb.RenameTagRequest, context: grpc.aio.ServicerContext) -> Any:
        changed = await tags.rename_tag(
            self.deps, request.tenant_id, request.dataset_id, request.from_tag, request.to_tag
        )
        return pb.EditTagsResponse(chunks_changed=changed)

    async def CheckEmbedding(self, request: pb.CheckEmbeddingRequest, context: grpc.aio.ServicerContext) -> Any:
        effective, summary, results = await embedding_check.check_embedding(
            self.deps, request.tenant_id, request.dataset_id, request.embedding_model, request.check_num
        )
        return pb.CheckEmbeddingResponse(
            summary=to_struct(summary), results=[to_struct(r) for r in results], effective=effective
        )

    async def ListIngestionLogs(self, request: pb.ListIngestionLogsRequest, context: grpc.aio.ServicerContext) -> Any:
        rows, total = await ingestion_logs.list_logs(
            self.deps,
            request.tenant_id,
            request.dataset_id,
            page=request.page,
            page_size=request.page_size,
            orderby=request.orderby,
            desc=request.desc,
            statuses=list(request.operation_status),
            create_time_from=request.create_time_from,
            create_time_to=request.create_time_to,
            keywords=request.keywords,
        )
        return pb.ListIngestionLogsResponse(logs=[ingestion_log_pb(r) for r in rows], total=total)

    async def GetIngestionLog(self, request: pb.IngestionLogRef, context: grpc.aio.ServicerContext) -> Any:
        log = await ingestion_logs.get_log(self.deps, request.tenant_id, request.dataset_id, request.id)
        return ingestion_log_pb(log)

    # -- internal: ingestion -------------------------------------------------------------
    async def FetchParseJob(
        self, request: pb.ParseJobRef, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.FetchParseJobResponse]:
        job = await ingest.fetch_job(self.deps, request.tenant_id, request.document_id, request.run_id)
        pieces = await ingest.job_file(
            self.deps, request.tenant_id, request.document_id, request.run_id, PIECE_BYTES
        )  # NOT_FOUND before any message
        yield pb.FetchParseJobResponse(
            job=pb.ParseJob(
                document=document_pb(job.document),
                dataset=dataset_pb(job.dataset),
                run_id=request.run_id,
                parser_config=to_struct(job.parser_config),
            )
        )
        async for piece in pieces:
            yield pb.FetchParseJobResponse(data=piece)

    async def ReportProgress(self, request: pb.ProgressReport, context: grpc.aio.ServicerContext) -> Any:
        current = await ingest.report_progress(
            self.deps,
            request.tenant_id,
            request.document_id,
            request.run_id,
            progress=request.progress,
            message=request.message,
            failed=request.failed,
        )
        return pb.ProgressAck(current=current)

    async def IndexChunks(self, request: pb.IndexChunksRequest, context: grpc.aio.ServicerContext) -> Any:
        batch = [
            ingest.IndexedChunk(
                content=c.content,
                dense=list(c.dense),
                sparse=SparseVector(indices=list(c.sparse_indices), values=list(c.sparse_values)),
                position=c.position,
                important_keywords=list(c.important_keywords),
                questions=list(c.questions),
            )
            for c in request.chunks
        ]
        current, indexed = await ingest.index_chunks(
            self.deps,
            request.tenant_id,
            request.document_id,
            request.run_id,
            batch,
            final=request.final,
            token_count=request.token_count,
            progress=request.progress,
        )
        return pb.IndexChunksResponse(current=current, indexed=indexed)
