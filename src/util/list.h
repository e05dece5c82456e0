/* Intrusive doubly linked lists: a node lives inside the object it links,
 * so linking and unlinking allocate nothing and take constant time whatever
 * list the node is in. A list is a circular chain through a head node; a
 * node that is in no list has NULL links.
 *
 *   typedef struct item { int n; oai__link by_age; } item;
 *   oai__link items;               oai__list_init(&items);
 *   oai__list_add_tail(&items, &it->by_age);
 *   for (oai__link *l = items.next; l != &items; l = l->next)
 *       use(OAI__CONTAINER(l, item, by_age));
 */
#ifndef OAI_LIST_H
#define OAI_LIST_H

#include <stddef.h>

typedef struct oai__link {
    struct oai__link *prev, *next;
} oai__link;

/* The object holding `link`, a pointer to its member `member`. */
#define OAI__CONTAINER(link, type, member) ((type *)(void *)((char *)(link) - offsetof(type, member)))

static inline void oai__list_init(oai__link *head)
{
    head->prev = head->next = head;
}

static inline int oai__list_empty(const oai__link *head)
{
    return head->next == head;
}

/* Whether a node is in a list (any list). */
static inline int oai__list_linked(const oai__link *node)
{
    return node->next != NULL;
}

static inline void oai__list_add_tail(oai__link *head, oai__link *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

static inline void oai__list_add_head(oai__link *head, oai__link *node)
{
    node->next = head->next;
    node->prev = head;
    head->next->prev = node;
    head->next = node;
}

/* Takes a node out of whatever list it is in; a no-op when it is in none. */
static inline void oai__list_remove(oai__link *node)
{
    if (!node->next)
        return;
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = NULL;
}

/* Moves every node of `from` to the end of `to` (order kept); `from` ends
 * empty. */
static inline void oai__list_splice_tail(oai__link *to, oai__link *from)
{
    if (oai__list_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    oai__list_init(from);
}

/* The first node, or NULL for an empty list. */
static inline oai__link *oai__list_first(const oai__link *head)
{
    return head->next == head ? NULL : head->next;
}

#endif
