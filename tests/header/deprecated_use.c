/* Calls a deprecated alias: check_deprecated.sh expects the compiler to warn
 * and to name the replacement, and to stay silent when
 * OAI_NO_DEPRECATED_WARNINGS is defined. */
#include "oai.h"

oai_request *oai_header_test_old_name(const oai_request *req);
oai_request *oai_header_test_old_name(const oai_request *req)
{
    return oai_request_dup(req);
}
