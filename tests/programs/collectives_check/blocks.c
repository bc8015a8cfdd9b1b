/*
 * blocks.c — large blocks on huge pages; see blocks.h.
 */
#include "blocks.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

static int IsMapped(size_t bytes) { return bytes >= HUGE_PAGE_BYTES; }
static size_t Rounded(size_t bytes) {
  return (bytes + HUGE_PAGE_BYTES - 1) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
}

void* BlockAlloc(size_t bytes) {
  if (!IsMapped(bytes)) return malloc(bytes > 0 ? bytes : 1);
  void* p = mmap(NULL, Rounded(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  (void)madvise(p, Rounded(bytes), MADV_HUGEPAGE); /* advice: without THP pages stay small */
  return p;
}

void BlockFree(void* p, size_t bytes) {
  if (p == NULL) return;
  if (IsMapped(bytes)) {
    munmap(p, Rounded(bytes));
  } else {
    free(p);
  }
}
