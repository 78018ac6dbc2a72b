#ifndef CDIGEST_H
#define CDIGEST_H

#include <stddef.h>
#include <stdint.h>

/// Runs SHA-256's compression function over `blocks` 64-byte blocks at `data`, updating `state` (the eight working
/// words, host order). Uses the CPU's SHA extensions when it has them, portable C otherwise.
void cdigest_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// 1 when `cdigest_sha256_blocks` uses the SHA extensions on this CPU, 0 when it runs the portable rounds.
int cdigest_sha256_accelerated(void);

/// The portable rounds alone, whatever the CPU (for tests that compare both paths).
void cdigest_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
