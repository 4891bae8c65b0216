/* flow_mem: transparent huge pages for the big per-worker pools of per-flow
 * state (flow records and buckets, TCP sessions and segments, nDPI flows).
 * These pools are sized at start and touched in order of first use; with 4 KB
 * pages every new flow faulted a page or two in on the packet path and the
 * random bucket/record accesses missed the TLB. With MADV_HUGEPAGE (THP in
 * "madvise" mode, Debian's default) a fault maps 2 MB at once. Header-only so
 * that each pool's unit test links nothing more. Advisory: failure is fine.
 */
#ifndef CANH_FLOW_MEM_H
#define CANH_FLOW_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#define FLOW_MEM_HUGE ((uintptr_t)2 << 20)

/* Ask for huge pages on the 2 MB-aligned part of [p, p + n). */
static inline void flow_mem_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + FLOW_MEM_HUGE - 1) & ~(FLOW_MEM_HUGE - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~(FLOW_MEM_HUGE - 1);

    if (p != NULL && e > a)
        (void)madvise((void *)a, (size_t)(e - a), MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

#endif
