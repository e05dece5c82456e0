"""oai: Python bindings for liboai, the embeddable C client for the OpenAI API.

A thin ctypes layer over the library's public ABI, with no compiled part:

    import oai
    with oai.Client(base_url="http://127.0.0.1:8080/v1", api_key="sk-local") as client:
        print(client.chat("gpt-4o-mini", [("user", "Hello")]).text)
        for event in client.chat_stream("gpt-4o-mini", [("user", "Count to five")]):
            if event.type == oai.EVENT_TEXT:
                print(event.text, end="", flush=True)

The library is found through OAI_LIBRARY (the path of liboai.so), else next
to this package or in the repository's build/ tree, else on the system
(ctypes.util.find_library("oai")). See bindings/python/README.md.
"""

from ._lib import library_path
from ._util import status_message, status_name
from . import errors as _errors
from .errors import *  # noqa: F401,F403 (the exceptions and status constants)
from .errors import ERROR_CLASSES, OAIError, error_class
from .request import Request, BUILDERS
from .request import (  # noqa: F401
    chat_completion_create, completion_create, response_create, embedding_create, model_list, model_retrieve,
    model_delete, file_create, file_create_from_data, file_list, file_retrieve, file_delete, file_retrieve_content,
    upload_create, upload_add_part, upload_complete, upload_cancel, fine_tuning_job_create, fine_tuning_job_list,
    fine_tuning_job_retrieve, fine_tuning_job_cancel, fine_tuning_job_pause, fine_tuning_job_resume,
    fine_tuning_job_list_events, fine_tuning_job_list_checkpoints, batch_create, batch_retrieve, batch_list,
    batch_cancel,
)
from .response import (  # noqa: F401
    Response, Event, ToolCall, EVENT_TEXT, EVENT_REFUSAL, EVENT_REASONING, EVENT_TOOL_CALL, EVENT_USAGE, EVENT_DONE,
    EVENT_ERROR, EVENT_OTHER, EVENT_ITEM, EVENT_PROGRESS, EVENT_TYPE_NAMES,
)
from .client import Client, AzureClient, Call, WARM_UP_CA, WARM_UP_CONNECT  # noqa: F401
from .tokens import Tokenizer, SPECIAL_ORDINARY, SPECIAL_ALLOWED, SPECIAL_DISALLOWED  # noqa: F401
from .tools import PendingToolCall, ToolLoopCall, send_with_tools, start_send_with_tools  # noqa: F401
from .webhooks import Webhook, WebhookError  # noqa: F401
from .workflows import (  # noqa: F401
    Pager, TrainingReport, BatchWriter, BatchReader, UploadCall, validate_training_data, read_batch_file,
    upload_large_file, start_large_upload, follow_fine_tuning_job, start_follow_fine_tuning_job, wait_for_batch,
    start_wait_for_batch, TRAINING_CHAT, TRAINING_PREFERENCE, TRAINING_COMPLETION,
)

__version__ = "0.1.0"

__all__ = sorted(
    [name for name in vars(_errors) if not name.startswith("_") and name not in ("OK",) and
     (name.startswith("ERR_") or name.endswith("Error"))]
    + ["OK", "ERROR_CLASSES", "error_class", "library_path", "status_message", "status_name", "version",
       "version_check", "Request", "BUILDERS", "Response", "Event", "EVENT_TYPE_NAMES", "Client", "Call",
       "WARM_UP_CA", "WARM_UP_CONNECT", "Pager", "TrainingReport", "BatchWriter", "BatchReader", "UploadCall",
       "validate_training_data", "read_batch_file", "upload_large_file", "start_large_upload",
       "follow_fine_tuning_job", "start_follow_fine_tuning_job", "wait_for_batch", "start_wait_for_batch",
       "TRAINING_CHAT", "TRAINING_PREFERENCE", "TRAINING_COMPLETION", "ToolCall", "PendingToolCall",
       "ToolLoopCall", "send_with_tools", "start_send_with_tools", "Webhook", "WebhookError", "AzureClient",
       "Tokenizer", "SPECIAL_ORDINARY", "SPECIAL_ALLOWED", "SPECIAL_DISALLOWED"]
    + ["EVENT_" + n.upper() for n in ("text", "refusal", "reasoning", "tool_call", "usage", "done", "error",
                                        "other", "item", "progress")]
    + list(BUILDERS))


def version():
    """The version of the liboai loaded, e.g. "0.1.0"."""
    from ._lib import lib
    from ._util import s
    return s(lib.oai_version())


def version_check(major, minor, patch):
    """Whether the liboai loaded is at least major.minor.patch."""
    from ._lib import lib
    return bool(lib.oai_version_check(int(major), int(minor), int(patch)))
