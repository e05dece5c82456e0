"""Loading liboai and declaring the C prototypes the binding calls.

Every function the package calls is declared here, with its argument and
result types written out (int64_t is c_int64, size_t is c_size_t, each
handle a pointer to its own opaque structure), so that ctypes never guesses.
Nothing here takes a C callback but the token provider (token_fn_t, below):
where a C function has another callback parameter (oai_client_start's done
callback), it is declared as c_void_p and the binding always passes NULL. The streaming and asynchronous paths are pulled
(oai_call_next_event, oai_call_is_done, oai_call_take_response).
"""

import ctypes
import ctypes.util
import os

__all__ = ["lib", "library_path", "DECLARED", "OPTIONAL_MISSING", "has"]

# ---- opaque handles ---------------------------------------------------------


class _Opaque(ctypes.Structure):
    _fields_ = []


class Client(_Opaque):
    pass


class Request(_Opaque):
    pass


class Response(_Opaque):
    pass


class Value(_Opaque):
    pass


class Call(_Opaque):
    pass


class Event(_Opaque):
    pass


class LargeUpload(_Opaque):
    pass


class Pager(_Opaque):
    pass


class TrainingReport(_Opaque):
    pass


class BatchWriter(_Opaque):
    pass


class BatchReader(_Opaque):
    pass


class Webhook(_Opaque):
    pass


class Tokenizer(_Opaque):
    pass


client_p = ctypes.POINTER(Client)
request_p = ctypes.POINTER(Request)
response_p = ctypes.POINTER(Response)
value_p = ctypes.POINTER(Value)
call_p = ctypes.POINTER(Call)
event_p = ctypes.POINTER(Event)
large_upload_p = ctypes.POINTER(LargeUpload)
pager_p = ctypes.POINTER(Pager)
report_p = ctypes.POINTER(TrainingReport)
batch_writer_p = ctypes.POINTER(BatchWriter)
batch_reader_p = ctypes.POINTER(BatchReader)
webhook_p = ctypes.POINTER(Webhook)
tokenizer_p = ctypes.POINTER(Tokenizer)

c_int = ctypes.c_int
c_int64 = ctypes.c_int64
c_size_t = ctypes.c_size_t
c_double = ctypes.c_double
c_str = ctypes.c_char_p          # const char * passed in (bytes or None)
c_void_p = ctypes.c_void_p       # a returned string read with string_at, or a NULL callback
status_t = ctypes.c_int          # oai_status crosses as its enumeration type: an int

# The one C callback the binding hands the library: oai_token_fn, a
# credential provider (Client(token_provider=...)). It is called inside
# oai calls, before each attempt; the Client keeps the ctypes object alive
# as long as the C client (and its clones) may call it. The token buffer is
# a char * written with memmove: c_void_p here.
token_fn_t = ctypes.CFUNCTYPE(status_t, c_void_p, c_void_p, c_size_t)

# ---- the prototypes ---------------------------------------------------------
# name: (restype, [argtypes]). Returned strings are c_void_p so that the
# binding reads them with ctypes.string_at (with their length where the C
# API gives one) and never lets ctypes guess.

_PROTOTYPES = {
    # library
    "oai_version": (c_void_p, []),
    "oai_version_check": (c_int, [c_int, c_int, c_int]),
    "oai_status_name": (c_void_p, [status_t]),
    "oai_status_message": (c_void_p, [status_t]),
    "oai_free": (None, [c_void_p]),
    # client
    "oai_client_new": (client_p, []),
    "oai_client_status": (status_t, [client_p]),
    "oai_client_error_message": (c_void_p, [client_p]),
    "oai_client_free": (None, [client_p]),
    "oai_client_set_api_key": (status_t, [client_p, c_str]),
    "oai_client_set_base_url": (status_t, [client_p, c_str]),
    "oai_client_base_url": (c_void_p, [client_p]),
    "oai_client_set_organization": (status_t, [client_p, c_str]),
    "oai_client_set_project": (status_t, [client_p, c_str]),
    "oai_client_set_header": (status_t, [client_p, c_str, c_str]),
    "oai_client_set_user_agent": (status_t, [client_p, c_str]),
    "oai_client_set_platform_headers": (status_t, [client_p, c_int]),
    "oai_client_set_timeout_ms": (status_t, [client_p, c_int64]),
    "oai_client_set_connect_timeout_ms": (status_t, [client_p, c_int64]),
    "oai_client_set_idle_timeout_ms": (status_t, [client_p, c_int64]),
    "oai_client_set_first_byte_timeout_ms": (status_t, [client_p, c_int64]),
    "oai_client_set_max_retries": (status_t, [client_p, c_int]),
    "oai_client_set_retry_backoff_ms": (status_t, [client_p, c_int64, c_int64]),
    "oai_client_set_retry_after_cap_ms": (status_t, [client_p, c_int64]),
    "oai_client_set_ca_file": (status_t, [client_p, c_str]),
    "oai_client_set_ca_blob": (status_t, [client_p, c_str, c_size_t]),
    "oai_client_set_proxy": (status_t, [client_p, c_str]),
    "oai_client_warm_up": (status_t, [client_p, c_int]),
    "oai_client_set_max_response_bytes": (status_t, [client_p, c_int64]),
    "oai_client_set_log_level": (status_t, [client_p, c_int]),
    "oai_client_set_poll_budget_us": (status_t, [client_p, c_int64]),
    # sending, calls, the pull API
    "oai_client_send": (response_p, [client_p, request_p]),
    # the done callback and its userdata: always NULL (the pull API)
    "oai_client_start": (call_p, [client_p, request_p, c_void_p, c_void_p]),
    "oai_client_poll": (c_int, [client_p, c_int]),
    "oai_client_wakeup": (None, [client_p]),
    "oai_call_free": (None, [call_p]),
    "oai_call_is_done": (c_int, [call_p]),
    "oai_call_take_response": (response_p, [call_p]),
    "oai_call_status": (status_t, [call_p]),
    "oai_call_next_event": (status_t, [call_p, ctypes.POINTER(event_p)]),
    "oai_call_cancel": (None, [call_p]),
    # requests
    "oai_request_new": (request_p, [c_str, c_str]),
    "oai_request_status": (status_t, [request_p]),
    "oai_request_error_message": (c_void_p, [request_p]),
    "oai_request_free": (None, [request_p]),
    "oai_request_clone": (request_p, [request_p]),
    "oai_request_method": (c_void_p, [request_p]),
    "oai_request_path": (c_void_p, [request_p]),
    "oai_request_set_string_len": (status_t, [request_p, c_str, c_str, c_size_t]),
    "oai_request_set_int": (status_t, [request_p, c_str, c_int64]),
    "oai_request_set_number": (status_t, [request_p, c_str, c_double]),
    "oai_request_set_bool": (status_t, [request_p, c_str, c_int]),
    "oai_request_set_null": (status_t, [request_p, c_str]),
    "oai_request_set_json": (status_t, [request_p, c_str, c_str]),
    "oai_request_remove_field": (status_t, [request_p, c_str]),
    "oai_request_body_dup": (c_void_p, [request_p]),
    "oai_request_set_query": (status_t, [request_p, c_str, c_str]),
    "oai_request_query": (c_void_p, [request_p, c_str]),
    "oai_request_set_header": (status_t, [request_p, c_str, c_str]),
    "oai_request_set_timeout_ms": (status_t, [request_p, c_int64]),
    "oai_request_set_idle_timeout_ms": (status_t, [request_p, c_int64]),
    "oai_request_set_first_byte_timeout_ms": (status_t, [request_p, c_int64]),
    "oai_request_set_max_retries": (status_t, [request_p, c_int]),
    "oai_request_set_idempotency_key": (status_t, [request_p, c_str]),
    "oai_request_set_output_file": (status_t, [request_p, c_str]),
    "oai_request_set_raw_response": (status_t, [request_p, c_int]),
    "oai_request_add_form_field": (status_t, [request_p, c_str, c_str]),
    "oai_request_add_file_part": (status_t, [request_p, c_str, c_str, c_str, c_str]),
    "oai_request_add_data_part": (status_t, [request_p, c_str, c_str, c_size_t, c_str, c_str]),
    "oai_request_add_file_range_part": (status_t, [request_p, c_str, c_str, c_int64, c_int64, c_str, c_str]),
    "oai_request_set_stream": (status_t, [request_p, c_int]),
    "oai_request_set_accumulate": (status_t, [request_p, c_int]),
    # endpoint helpers
    "oai_chat_completion_create_request_new": (request_p, [c_str]),
    "oai_chat_request_add_message": (status_t, [request_p, c_str, c_str]),
    "oai_chat_request_add_tool": (status_t, [request_p, c_str, c_str, c_str]),
    "oai_chat_request_add_tool_call": (status_t, [request_p, c_str, c_str, c_str]),
    "oai_chat_request_add_tool_result": (status_t, [request_p, c_str, c_str]),
    "oai_completion_create_request_new": (request_p, [c_str, c_str]),
    "oai_response_create_request_new": (request_p, [c_str, c_str]),
    "oai_embedding_create_request_new": (request_p, [c_str, c_str]),
    "oai_model_list_request_new": (request_p, []),
    "oai_model_retrieve_request_new": (request_p, [c_str]),
    "oai_model_delete_request_new": (request_p, [c_str]),
    "oai_file_create_request_new": (request_p, [c_str, c_str]),
    "oai_file_create_from_data_request_new": (request_p, [c_str, c_size_t, c_str, c_str]),
    "oai_file_list_request_new": (request_p, []),
    "oai_file_retrieve_request_new": (request_p, [c_str]),
    "oai_file_delete_request_new": (request_p, [c_str]),
    "oai_file_retrieve_content_request_new": (request_p, [c_str]),
    "oai_upload_create_request_new": (request_p, [c_str, c_str, c_int64, c_str]),
    "oai_upload_add_part_request_new": (request_p, [c_str, c_str, c_int64, c_int64]),
    "oai_upload_complete_request_new": (request_p, [c_str, ctypes.POINTER(c_str), c_size_t, c_str]),
    "oai_upload_cancel_request_new": (request_p, [c_str]),
    "oai_fine_tuning_job_create_request_new": (request_p, [c_str, c_str]),
    "oai_fine_tuning_job_list_request_new": (request_p, []),
    "oai_fine_tuning_job_retrieve_request_new": (request_p, [c_str]),
    "oai_fine_tuning_job_cancel_request_new": (request_p, [c_str]),
    "oai_fine_tuning_job_pause_request_new": (request_p, [c_str]),
    "oai_fine_tuning_job_resume_request_new": (request_p, [c_str]),
    "oai_fine_tuning_job_list_events_request_new": (request_p, [c_str]),
    "oai_fine_tuning_job_list_checkpoints_request_new": (request_p, [c_str]),
    "oai_batch_create_request_new": (request_p, [c_str, c_str, c_str]),
    "oai_batch_retrieve_request_new": (request_p, [c_str]),
    "oai_batch_list_request_new": (request_p, []),
    "oai_batch_cancel_request_new": (request_p, [c_str]),
    # responses
    "oai_response_free": (None, [response_p]),
    "oai_response_status": (status_t, [response_p]),
    "oai_response_http_status": (c_int, [response_p]),
    "oai_response_header": (c_void_p, [response_p, c_str]),
    "oai_response_header_count": (c_size_t, [response_p]),
    "oai_response_header_name": (c_void_p, [response_p, c_size_t]),
    "oai_response_header_value": (c_void_p, [response_p, c_size_t]),
    "oai_response_body": (c_void_p, [response_p]),
    "oai_response_body_len": (c_size_t, [response_p]),
    "oai_response_json": (value_p, [response_p]),
    "oai_response_get_json_text": (c_void_p, [response_p, c_str]),
    "oai_response_text": (c_void_p, [response_p]),
    "oai_response_embedding_count": (c_size_t, [response_p]),
    "oai_response_embedding": (ctypes.POINTER(c_double), [response_p, c_size_t, ctypes.POINTER(c_size_t)]),
    "oai_response_error_message": (c_void_p, [response_p]),
    "oai_response_error_type": (c_void_p, [response_p]),
    "oai_response_error_code": (c_void_p, [response_p]),
    "oai_response_error_param": (c_void_p, [response_p]),
    "oai_response_request_id": (c_void_p, [response_p]),
    "oai_response_retry_count": (c_int, [response_p]),
    "oai_response_retry_after_ms": (c_int64, [response_p]),
    "oai_response_total_time_us": (c_int64, [response_p]),
    "oai_response_first_byte_time_us": (c_int64, [response_p]),
    # JSON values (only copied out: json_dup)
    "oai_value_json_dup": (c_void_p, [value_p]),
    # events
    "oai_event_type_of": (c_int, [event_p]),
    "oai_event_text": (c_void_p, [event_p]),
    "oai_event_text_len": (c_size_t, [event_p]),
    "oai_event_choice_index": (c_int, [event_p]),
    "oai_event_tool_index": (c_int, [event_p]),
    "oai_event_tool_id": (c_void_p, [event_p]),
    "oai_event_tool_name": (c_void_p, [event_p]),
    "oai_event_name": (c_void_p, [event_p]),
    "oai_event_data": (c_void_p, [event_p]),
    "oai_event_data_len": (c_size_t, [event_p]),
    "oai_event_json": (value_p, [event_p]),
    "oai_event_error_status": (status_t, [event_p]),
    # large uploads (blocking form)
    "oai_large_upload_new": (large_upload_p, [client_p, c_str, c_str, c_str]),
    "oai_large_upload_free": (None, [large_upload_p]),
    "oai_large_upload_status": (status_t, [large_upload_p]),
    "oai_large_upload_error_message": (c_void_p, [large_upload_p]),
    "oai_large_upload_set_part_size": (status_t, [large_upload_p, c_int64]),
    "oai_large_upload_resume": (status_t, [large_upload_p, c_str, ctypes.POINTER(c_str), c_size_t]),
    "oai_large_upload_run": (response_p, [large_upload_p]),
    "oai_large_upload_id": (c_void_p, [large_upload_p]),
    "oai_large_upload_part_count": (c_size_t, [large_upload_p]),
    "oai_large_upload_part_id": (c_void_p, [large_upload_p, c_size_t]),
    # pagination
    "oai_pager_new": (pager_p, [client_p, request_p]),
    "oai_pager_free": (None, [pager_p]),
    "oai_pager_status": (status_t, [pager_p]),
    "oai_pager_error_message": (c_void_p, [pager_p]),
    "oai_pager_set_max_items": (status_t, [pager_p, c_size_t]),
    "oai_pager_next": (status_t, [pager_p, ctypes.POINTER(value_p)]),
    "oai_pager_response": (response_p, [pager_p]),
    # training data
    "oai_training_report_new": (report_p, [c_str, c_int, c_int64]),
    "oai_training_report_buffer_new": (report_p, [c_str, c_size_t, c_int, c_int64]),
    "oai_training_report_free": (None, [report_p]),
    "oai_training_report_status": (status_t, [report_p]),
    "oai_training_report_error_message": (c_void_p, [report_p]),
    "oai_training_report_is_valid": (c_int, [report_p]),
    "oai_training_report_json_dup": (c_void_p, [report_p]),
    # fine-tuning: the blocking follower (no event callback: NULL)
    "oai_client_follow_fine_tuning_job": (response_p, [client_p, c_str, c_int64, c_void_p, c_void_p]),
    # batch files
    "oai_batch_writer_new": (batch_writer_p, [c_str]),
    "oai_batch_writer_add": (status_t, [batch_writer_p, c_str, request_p]),
    "oai_batch_writer_finish": (status_t, [batch_writer_p]),
    "oai_batch_writer_free": (None, [batch_writer_p]),
    "oai_batch_writer_status": (status_t, [batch_writer_p]),
    "oai_batch_writer_error_message": (c_void_p, [batch_writer_p]),
    "oai_batch_reader_new": (batch_reader_p, [c_str]),
    "oai_batch_reader_status": (status_t, [batch_reader_p]),
    "oai_batch_reader_set_max_line_bytes": (status_t, [batch_reader_p, c_int64]),
    "oai_batch_reader_next": (status_t, [batch_reader_p, ctypes.POINTER(value_p)]),
    "oai_batch_reader_line_number": (c_int64, [batch_reader_p]),
    "oai_batch_reader_error_message": (c_void_p, [batch_reader_p]),
    "oai_batch_reader_free": (None, [batch_reader_p]),
    # structured outputs and tool calls
    "oai_request_set_json_schema": (status_t, [request_p, c_str, c_str, c_int]),
    "oai_response_parsed": (value_p, [response_p]),
    "oai_response_parsed_status": (status_t, [response_p]),
    "oai_response_parsed_error_message": (c_void_p, [response_p]),
    "oai_response_refusal": (c_void_p, [response_p]),
    "oai_response_tool_call_count": (c_size_t, [response_p]),
    "oai_response_tool_call_id": (c_void_p, [response_p, c_size_t]),
    "oai_response_tool_call_name": (c_void_p, [response_p, c_size_t]),
    "oai_response_tool_call_arguments": (c_void_p, [response_p, c_size_t]),
    "oai_response_tool_call_arguments_json": (value_p, [response_p, c_size_t]),
    "oai_response_tool_call_arguments_status": (status_t, [response_p, c_size_t]),
    "oai_request_add_reply": (status_t, [request_p, response_p]),
    "oai_request_add_tool_output": (status_t, [request_p, c_str, c_str]),
    # the tool loop, pull form only: the tool function, done and event
    # callbacks and their userdata are always NULL
    "oai_client_start_send_with_tools": (call_p, [client_p, request_p, c_int, c_void_p, c_void_p, c_void_p,
                                                  c_void_p, c_void_p, c_void_p]),
    "oai_call_answer_tool": (status_t, [call_p, c_str, c_str]),
    # webhooks (the body crosses with its length: bytes may hold NUL)
    "oai_webhook_new": (webhook_p, [client_p, c_str]),
    "oai_webhook_free": (None, [webhook_p]),
    "oai_webhook_status": (status_t, [webhook_p]),
    "oai_webhook_error_message": (c_void_p, [webhook_p]),
    "oai_webhook_error_code": (c_void_p, [webhook_p]),
    "oai_webhook_set_tolerance_ms": (status_t, [webhook_p, c_int64]),
    "oai_webhook_set_now_ms": (status_t, [webhook_p, c_int64]),
    "oai_webhook_verify": (status_t, [webhook_p, ctypes.POINTER(c_str), ctypes.POINTER(c_str), c_size_t, c_str,
                                      c_size_t]),
    "oai_webhook_unwrap": (status_t, [webhook_p, ctypes.POINTER(c_str), ctypes.POINTER(c_str), c_size_t, c_str,
                                      c_size_t]),
    "oai_webhook_json": (value_p, [webhook_p]),
    "oai_webhook_type": (c_void_p, [webhook_p]),
    "oai_webhook_data": (value_p, [webhook_p]),
    "oai_client_set_webhook_secret": (status_t, [client_p, c_str]),
    # client-wide defaults, copies, Azure OpenAI
    "oai_client_set_query": (status_t, [client_p, c_str, c_str]),
    "oai_client_query": (c_void_p, [client_p, c_str]),
    "oai_client_clone": (client_p, [client_p]),
    "oai_client_set_token_callback": (status_t, [client_p, token_fn_t, c_void_p]),
    "oai_client_azure_new": (client_p, []),
    "oai_client_is_azure": (c_int, [client_p]),
    "oai_client_set_azure_endpoint": (status_t, [client_p, c_str]),
    "oai_client_set_azure_deployment": (status_t, [client_p, c_str]),
    "oai_client_set_azure_api_version": (status_t, [client_p, c_str]),
    "oai_client_set_azure_ad_token": (status_t, [client_p, c_str]),
    # token counts (the text crosses with its length: bytes may hold NUL)
    "oai_tokenizer_new": (tokenizer_p, [c_str, c_str]),
    "oai_tokenizer_model_new": (tokenizer_p, [c_str, c_str]),
    "oai_tokenizer_free": (None, [tokenizer_p]),
    "oai_tokenizer_status": (status_t, [tokenizer_p]),
    "oai_tokenizer_error_message": (c_void_p, [tokenizer_p]),
    "oai_tokenizer_name": (c_void_p, [tokenizer_p]),
    "oai_tokenizer_set_special_tokens": (status_t, [tokenizer_p, c_int]),
    "oai_tokenizer_count_text": (status_t, [tokenizer_p, c_str, c_size_t, ctypes.POINTER(c_int64)]),
    "oai_tokenizer_count_chat": (status_t, [tokenizer_p, request_p, ctypes.POINTER(c_int64)]),
    "oai_tokenizer_count_messages": (status_t, [tokenizer_p, c_str, c_size_t, ctypes.POINTER(c_int64)]),
}

# Functions a newer library has; the binding works without them and offers
# what they enable only when they are there (see has()): the asynchronous
# forms of the workflows. Their done and event callbacks (and userdata)
# are void * here, always NULL: the response and the events (items,
# progress, a job's events, a batch's states) are pulled from the call.
_NO_CALLBACKS = [c_void_p, c_void_p, c_void_p, c_void_p]
_OPTIONAL = {
    "oai_pager_start": (call_p, [pager_p] + _NO_CALLBACKS),
    "oai_large_upload_start": (call_p, [large_upload_p] + _NO_CALLBACKS),
    "oai_client_start_follow_fine_tuning_job": (call_p, [client_p, c_str, c_int64] + _NO_CALLBACKS),
    "oai_client_wait_for_batch": (response_p, [client_p, c_str, c_int64]),
    "oai_client_start_wait_for_batch": (call_p, [client_p, c_str, c_int64] + _NO_CALLBACKS),
}

DECLARED = {}
OPTIONAL_MISSING = set()


def _candidates():
    env = os.environ.get("OAI_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # Next to the package (an installed copy, or a build tree that copied
    # the library beside it), then the build trees of this repository.
    for directory in (here, os.path.dirname(here)):
        for name in ("liboai.so.0", "liboai.so", "liboai.dylib", "oai.dll"):
            yield os.path.join(directory, name)
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    for build in ("build", "build-release", "build-debug"):
        yield os.path.join(root, build, "liboai.so.0")
    found = ctypes.util.find_library("oai")
    if found:
        yield found
    yield "liboai.so.0"


def _load():
    errors = []
    explicit = bool(os.environ.get("OAI_LIBRARY"))
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            if explicit:
                errors.append("%s: no such file" % path)
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    raise ImportError("oai: cannot load liboai (set OAI_LIBRARY to the path of liboai.so): "
                      + ("; ".join(errors) or "not found"))


lib, library_path = _load()


def _declare(name, restype, argtypes, optional=False):
    try:
        fn = getattr(lib, name)
    except AttributeError:
        if optional:
            OPTIONAL_MISSING.add(name)
            return
        raise ImportError("oai: %s has no %s: a newer liboai is needed" % (library_path, name))
    fn.restype = restype
    fn.argtypes = argtypes
    DECLARED[name] = (restype, tuple(argtypes))


for _name, (_res, _args) in _PROTOTYPES.items():
    _declare(_name, _res, _args)
for _name, (_res, _args) in _OPTIONAL.items():
    _declare(_name, _res, _args, optional=True)

if not lib.oai_version_check(0, 1, 0):
    raise ImportError("oai: %s is older than 0.1.0" % library_path)


def has(name):
    """Whether the loaded library has the C function `name` declared."""
    return name in DECLARED
