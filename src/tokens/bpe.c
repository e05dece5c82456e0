/*
 * Vocabularies (token bytes -> rank) and the byte-pair merge.
 *
 * tiktoken's merge: split a piece into bytes, then merge the adjacent pair
 * whose joined bytes have the lowest rank (the leftmost of equals) until no
 * pair is a token. Short pieces use that loop as is (quadratic in the
 * piece, fastest for words). Long pieces, where the loop would be
 * quadratic (a 1 MB run of one character is one piece), use a linked list
 * of parts and an indexed binary heap keyed by (rank, position): each merge
 * costs O(log n), and the heap's order is the loop's order, so both give the
 * same parts.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "tokens/tokens.h"
#include "util/util.h"

#define NO_RANK UINT32_MAX

/* ---- the table -------------------------------------------------------- */

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n, w;

    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    w = 0;
    if (n)
        memcpy(&w, p, n);
    h = (h ^ w) * 0x94D049BB133111EBull;
    return h ^ (h >> 32);
}

uint32_t oai__vocab_rank(const oai__vocab *v, const unsigned char *bytes, size_t n)
{
    size_t i;

    if (n == 1)
        return v->byte_rank[bytes[0]];
    if (n == 0 || n > v->max_len)
        return NO_RANK;
    for (i = (size_t)hash_bytes(bytes, n) & v->mask;; i = (i + 1) & v->mask) {
        uint32_t e = v->slots[i];
        if (e == 0)
            return NO_RANK;
        e--;
        if (v->len[e] == n && memcmp(v->arena + v->off[e], bytes, n) == 0)
            return v->rank[e];
    }
}

oai_status oai__vocab_insert(oai__vocab *v, uint32_t entry)
{
    const unsigned char *bytes = v->arena + v->off[entry];
    size_t n = v->len[entry], i;

    if (n == 1) {
        if (v->byte_rank[bytes[0]] != NO_RANK)
            return OAI_ERR_INVALID_DATA;
        v->byte_rank[bytes[0]] = v->rank[entry];
        return OAI_OK;
    }
    for (i = (size_t)hash_bytes(bytes, n) & v->mask;; i = (i + 1) & v->mask) {
        uint32_t e = v->slots[i];
        if (e == 0) {
            v->slots[i] = entry + 1;
            if (n > v->max_len)
                v->max_len = n;
            return OAI_OK;
        }
        e--;
        if (v->len[e] == n && memcmp(v->arena + v->off[e], bytes, n) == 0)
            return OAI_ERR_INVALID_DATA; /* the same token twice */
    }
}

void oai__vocab_free(oai__vocab *v)
{
    if (!v)
        return;
    oai__free(v->arena);
    oai__free(v->off);
    oai__free(v->len);
    oai__free(v->rank);
    oai__free(v->slots);
    oai__free(v);
}

/* ---- the merge -------------------------------------------------------- */

static uint32_t rank_of(const oai__vocab *v, const unsigned char *p, size_t n, uint64_t *work)
{
    (*work)++;
    return oai__vocab_rank(v, p, n);
}

#define QUADRATIC_MAX 64

int64_t oai__bpe_count_quadratic(const oai__vocab *v, const unsigned char *piece, size_t len,
                                 uint64_t *work)
{
    size_t start[QUADRATIC_MAX + 1];
    uint32_t rk[QUADRATIC_MAX + 1];
    size_t parts = len + 1, i;

    if (len <= 1)
        return (int64_t)len;
    if (len > QUADRATIC_MAX)
        return oai__bpe_count_heap(v, piece, len, work);
    for (i = 0; i <= len; i++) {
        start[i] = i;
        rk[i] = i + 1 < len ? rank_of(v, piece + i, 2, work) : NO_RANK;
    }
    for (;;) {
        uint32_t min = NO_RANK;
        size_t at = 0;
        *work += parts - 1; /* the scan: what makes this loop quadratic */
        for (i = 0; i + 1 < parts; i++) {
            if (rk[i] < min) {
                min = rk[i];
                at = i;
            }
        }
        if (min == NO_RANK)
            break;
        /* The pair's rank once part at has absorbed part at + 1. */
        rk[at] = at + 3 < parts ? rank_of(v, piece + start[at], start[at + 3] - start[at], work)
                                : NO_RANK;
        if (at > 0)
            rk[at - 1] = rank_of(v, piece + start[at - 1], start[at + 2] - start[at - 1], work);
        memmove(start + at + 1, start + at + 2, (parts - at - 2) * sizeof start[0]);
        memmove(rk + at + 1, rk + at + 2, (parts - at - 2) * sizeof rk[0]);
        parts--;
    }
    return (int64_t)(parts - 1);
}

/* The long-piece merge. Part i covers [i, next[i]); the pair at i joins
 * part i and the part after it, and its rank is key[i] (NO_RANK when it is
 * no token, or i is the last part). The heap holds the parts whose pair is
 * a token, ordered by (rank, position). */
typedef struct {
    uint32_t *next, *prev, *key, *heap, *where; /* where[i]: i's heap slot + 1, 0 when out */
    size_t size;
    uint64_t *work;
} merge_state;

static int heap_less(const merge_state *m, uint32_t a, uint32_t b)
{
    return m->key[a] < m->key[b] || (m->key[a] == m->key[b] && a < b);
}

static void heap_place(merge_state *m, size_t slot, uint32_t part)
{
    m->heap[slot] = part;
    m->where[part] = (uint32_t)slot + 1;
}

static void sift_up(merge_state *m, size_t slot)
{
    uint32_t part = m->heap[slot];

    while (slot > 0) {
        size_t parent = (slot - 1) / 2;
        if (!heap_less(m, part, m->heap[parent]))
            break;
        heap_place(m, slot, m->heap[parent]);
        slot = parent;
        (*m->work)++;
    }
    heap_place(m, slot, part);
}

static void sift_down(merge_state *m, size_t slot)
{
    uint32_t part = m->heap[slot];

    for (;;) {
        size_t child = 2 * slot + 1;
        if (child >= m->size)
            break;
        if (child + 1 < m->size && heap_less(m, m->heap[child + 1], m->heap[child]))
            child++;
        if (!heap_less(m, m->heap[child], part))
            break;
        heap_place(m, slot, m->heap[child]);
        slot = child;
        (*m->work)++;
    }
    heap_place(m, slot, part);
}

static void heap_remove(merge_state *m, uint32_t part)
{
    size_t slot;
    uint32_t last;

    if (!m->where[part])
        return;
    slot = m->where[part] - 1;
    m->where[part] = 0;
    last = m->heap[--m->size];
    if (slot == m->size)
        return;
    heap_place(m, slot, last);
    sift_down(m, slot);
    sift_up(m, m->where[last] - 1);
}

/* Sets part's pair rank and puts it in, moves it in, or takes it out of
 * the heap. */
static void heap_set(merge_state *m, uint32_t part, uint32_t rank)
{
    if (rank == NO_RANK) {
        heap_remove(m, part);
        m->key[part] = NO_RANK;
        return;
    }
    m->key[part] = rank;
    if (!m->where[part]) {
        heap_place(m, m->size++, part);
        sift_up(m, m->size - 1);
    } else {
        sift_up(m, m->where[part] - 1);
        sift_down(m, m->where[part] - 1);
    }
}

static uint32_t pair_rank(const oai__vocab *v, const merge_state *m, const unsigned char *piece,
                          uint32_t part, uint32_t len)
{
    uint32_t after = m->next[part];

    if (after >= len)
        return NO_RANK;
    return rank_of(v, piece + part, m->next[after] - part, m->work);
}

int64_t oai__bpe_count_heap(const oai__vocab *v, const unsigned char *piece, size_t len,
                            uint64_t *work)
{
    merge_state m;
    uint32_t *mem, i, n;
    int64_t parts;

    if (len <= 1)
        return (int64_t)len;
    if (len >= UINT32_MAX / 2)
        return -2; /* tokenizer.c refuses such runs before */
    n = (uint32_t)len;
    mem = oai__malloc((size_t)n * 5 * sizeof *mem);
    if (!mem)
        return -1;
    m.next = mem;
    m.prev = mem + n;
    m.key = mem + 2 * (size_t)n;
    m.heap = mem + 3 * (size_t)n;
    m.where = mem + 4 * (size_t)n;
    m.size = 0;
    m.work = work;
    for (i = 0; i < n; i++) {
        m.next[i] = i + 1;
        m.prev[i] = i; /* i == prev[i]: the first part */
        if (i > 0)
            m.prev[i] = i - 1;
        m.where[i] = 0;
        m.key[i] = NO_RANK;
    }
    for (i = 0; i + 1 < n; i++) {
        uint32_t r = rank_of(v, piece + i, 2, work);
        if (r != NO_RANK) {
            m.key[i] = r;
            heap_place(&m, m.size++, i);
        }
    }
    /* Heapify bottom-up: O(n). */
    for (i = (uint32_t)(m.size / 2); i-- > 0;)
        sift_down(&m, i);
    parts = (int64_t)n;
    while (m.size > 0) {
        uint32_t at = m.heap[0], gone = m.next[at];
        /* Part at absorbs the part after it. */
        heap_remove(&m, gone);
        m.next[at] = m.next[gone];
        if (m.next[at] < n)
            m.prev[m.next[at]] = at;
        parts--;
        heap_set(&m, at, pair_rank(v, &m, piece, at, n));
        if (m.prev[at] != at)
            heap_set(&m, m.prev[at], pair_rank(v, &m, piece, m.prev[at], n));
    }
    oai__free(mem);
    return parts;
}

int64_t oai__bpe_count(const oai__vocab *v, const unsigned char *piece, size_t len, uint64_t *work)
{
    if (len <= 1)
        return (int64_t)len;
    if (oai__vocab_rank(v, piece, len) != NO_RANK) {
        (*work)++;
        return 1;
    }
    if (len <= QUADRATIC_MAX)
        return oai__bpe_count_quadratic(v, piece, len, work);
    return oai__bpe_count_heap(v, piece, len, work);
}
