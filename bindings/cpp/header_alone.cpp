// oai.hpp on its own: it must compile with nothing before it, warning-free
// under -Wall -Wextra -pedantic -Werror -Wshadow -Wundef (check_header.sh).
#include <oai.hpp>

#include <oai.hpp> // and twice

int oai_hpp_alone_check(void);
int oai_hpp_alone_check(void)
{
    oai::request r = oai::request::chat("m").add_message("user", "x").set("/n", 1).stream();
    return r.get_count("/messages") == 1 ? 0 : 1;
}
