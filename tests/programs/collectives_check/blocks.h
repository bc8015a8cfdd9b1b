/*
 * blocks.h — memory for the checker's large buffers. Blocks of 2 MiB and more are anonymous
 * mappings advised to use transparent huge pages: the thread-ranks of a large case first touch
 * hundreds of megabytes, and in 4 KiB pages those page faults cost more than the collectives.
 */
#ifndef COLLECTIVES_CHECK_BLOCKS_H_
#define COLLECTIVES_CHECK_BLOCKS_H_

#include <stddef.h>

/* `bytes` (> 0) bytes of uninitialised memory, or NULL when there is none. */
void* BlockAlloc(size_t bytes);
/* Frees a block of BlockAlloc(bytes); NULL is ignored. */
void BlockFree(void* p, size_t bytes);

#endif /* COLLECTIVES_CHECK_BLOCKS_H_ */
