/* Ordered name/value lists: headers and query parameters (util.h). */
#include "util/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int kv_name_eq(const oai__kvlist *l, const char *a, const char *b)
{
    return l->ignore_case ? oai__strcasecmp_ascii(a, b) == 0 : strcmp(a, b) == 0;
}

static oai_status kvlist_grow(oai__kvlist *l)
{
    if (l->count < l->cap)
        return OAI_OK;
    size_t cap = l->cap ? l->cap * 2 : 8;
    oai__kv *p = oai__realloc(l->items, cap * sizeof *p);
    if (!p)
        return OAI_ERR_OUT_OF_MEMORY;
    l->items = p;
    l->cap = cap;
    return OAI_OK;
}

/* An entry in one block, "name\0value\0" (the value NULL, or after the
 * name): one allocation per header of a response instead of two. The
 * block is the name's pointer. */
static oai_status entry_make(oai__kv *kv, const char *name, size_t name_len, const char *value,
                             size_t value_len)
{
    if (name_len > SIZE_MAX / 2 - 2 || (value && value_len > SIZE_MAX / 2))
        return OAI_ERR_OUT_OF_MEMORY;
    char *block = oai__malloc(name_len + 1 + (value ? value_len + 1 : 0));
    if (!block)
        return OAI_ERR_OUT_OF_MEMORY;
    memcpy(block, name, name_len);
    block[name_len] = '\0';
    kv->name = block;
    kv->value = NULL;
    if (value) {
        kv->value = block + name_len + 1;
        memcpy(kv->value, value, value_len);
        kv->value[value_len] = '\0';
    }
    return OAI_OK;
}

/* A packed list's pair: appended to its block, which moves when it grows
 * (the pairs' pointers follow it). */
static oai_status entry_pack(oai__kvlist *l, oai__kv *kv, const char *name, size_t name_len, const char *value,
                             size_t value_len)
{
    if (name_len > SIZE_MAX / 4 || (value && value_len > SIZE_MAX / 4))
        return OAI_ERR_OUT_OF_MEMORY;
    size_t need = name_len + 1 + (value ? value_len + 1 : 0);
    if (need > l->pack_cap - l->pack_len) {
        size_t cap = l->pack_cap ? l->pack_cap : 256;
        while (cap - l->pack_len < need)
            cap *= 2;
        char *pack = oai__malloc(cap);
        if (!pack)
            return OAI_ERR_OUT_OF_MEMORY;
        if (l->pack_len)
            memcpy(pack, l->pack, l->pack_len);
        for (size_t i = 0; i < l->count; i++) {
            oai__kv *it = &l->items[i];
            it->name = pack + (it->name - l->pack);
            if (it->value)
                it->value = pack + (it->value - l->pack);
        }
        oai__free(l->pack);
        l->pack = pack;
        l->pack_cap = cap;
    }
    char *at = l->pack + l->pack_len;
    memcpy(at, name, name_len);
    at[name_len] = '\0';
    kv->name = at;
    kv->value = NULL;
    if (value) {
        kv->value = at + name_len + 1;
        memcpy(kv->value, value, value_len);
        kv->value[value_len] = '\0';
    }
    l->pack_len += need;
    return OAI_OK;
}

oai_status oai__kvlist_add(oai__kvlist *l, const char *name, size_t name_len,
                          const char *value, size_t value_len)
{
    if (kvlist_grow(l) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    oai_status st = l->packed ? entry_pack(l, &l->items[l->count], name, name_len, value, value_len)
                              : entry_make(&l->items[l->count], name, name_len, value, value_len);
    if (st != OAI_OK)
        return st;
    l->count++;
    return OAI_OK;
}

oai_status oai__kvlist_set(oai__kvlist *l, const char *name, const char *value)
{
    for (size_t i = 0; i < l->count; i++) {
        if (kv_name_eq(l, l->items[i].name, name)) {
            oai__kv kv;
            size_t name_len = strlen(l->items[i].name), value_len = value ? strlen(value) : 0;
            if (l->packed) {
                /* The new value goes to the block (which may move: the
                 * pairs' pointers follow it). */
                if (entry_pack(l, &kv, "", 0, value, value_len) != OAI_OK)
                    return OAI_ERR_OUT_OF_MEMORY;
                l->items[i].value = kv.value;
                return OAI_OK;
            }
            if (entry_make(&kv, l->items[i].name, name_len, value, value_len) != OAI_OK)
                return OAI_ERR_OUT_OF_MEMORY;
            oai__free(l->items[i].name);
            l->items[i] = kv;
            return OAI_OK;
        }
    }
    return oai__kvlist_add(l, name, strlen(name), value, value ? strlen(value) : 0);
}

void oai__kvlist_remove(oai__kvlist *l, const char *name)
{
    size_t out = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (kv_name_eq(l, l->items[i].name, name)) {
            if (!l->packed)
                oai__free(l->items[i].name);
        } else {
            l->items[out++] = l->items[i];
        }
    }
    l->count = out;
}

const oai__kv *oai__kvlist_find(const oai__kvlist *l, const char *name)
{
    for (size_t i = 0; l && i < l->count; i++)
        if (kv_name_eq(l, l->items[i].name, name))
            return &l->items[i];
    return NULL;
}

oai_status oai__kvlist_copy(oai__kvlist *dst, const oai__kvlist *src)
{
    dst->ignore_case = src->ignore_case;
    for (size_t i = 0; i < src->count; i++) {
        const oai__kv *kv = &src->items[i];
        if (oai__kvlist_add(dst, kv->name, strlen(kv->name), kv->value,
                           kv->value ? strlen(kv->value) : 0) != OAI_OK)
            return OAI_ERR_OUT_OF_MEMORY;
    }
    return OAI_OK;
}

void oai__kvlist_free(oai__kvlist *l)
{
    for (size_t i = 0; !l->packed && i < l->count; i++)
        oai__free(l->items[i].name); /* the value is in its block */
    oai__free(l->items);
    oai__free(l->pack);
    l->items = NULL;
    l->pack = NULL;
    l->count = l->cap = l->pack_len = l->pack_cap = 0;
}
