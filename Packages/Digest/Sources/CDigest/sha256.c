// SHA-256's compression function (FIPS 180-4), in portable C and with the x86 SHA extensions.
//
// The SHA-NI path follows the instruction set's documented use: the state is kept as the ABEF and CDGH halves that
// SHA256RNDS2 expects, each group of four rounds adds its constants to four message words, runs two RNDS2, and the
// schedule for later groups is built with SHA256MSG1 and SHA256MSG2.
#include "cdigest.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void cdigest_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    while (blocks--) {
        for (int i = 0; i < 16; i++) {
            const uint8_t *p = data + 4 * i;
            w[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
        }
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
        data += 64;
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

SHA_TARGET
static void sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    // Message bytes are big-endian words: this shuffle reverses the bytes of each 32-bit lane.
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);  // DCBA (lane 0 = A)
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);  // HGFE
    tmp = _mm_shuffle_epi32(tmp, 0xB1);  // CDAB
    state1 = _mm_shuffle_epi32(state1, 0x1B);  // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);  // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);  // CDGH

    while (blocks--) {
        const __m128i abef = state0, cdgh = state1;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), byteswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byteswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byteswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byteswap);

// Four rounds with the message words in `w` (words 4g..4g+3).
#define ROUNDS4(w, g)                                                                  \
    do {                                                                               \
        __m128i msg = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K[4 * (g)])); \
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);                           \
        msg = _mm_shuffle_epi32(msg, 0x0E);                                            \
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);                           \
    } while (0)
// Words 4g..4g+3 from the four groups before them: `oldest` holds g-4 and is replaced by g.
#define SCHEDULE(oldest, next, prev2, prev1)                                                            \
    (oldest) = _mm_sha256msg2_epu32(                                                                    \
        _mm_add_epi32(_mm_sha256msg1_epu32((oldest), (next)), _mm_alignr_epi8((prev1), (prev2), 4)), (prev1))

        ROUNDS4(w0, 0);
        ROUNDS4(w1, 1);
        ROUNDS4(w2, 2);
        ROUNDS4(w3, 3);
        for (int g = 4; g < 16; g += 4) {
            SCHEDULE(w0, w1, w2, w3);
            ROUNDS4(w0, g);
            SCHEDULE(w1, w2, w3, w0);
            ROUNDS4(w1, g + 1);
            SCHEDULE(w2, w3, w0, w1);
            ROUNDS4(w2, g + 2);
            SCHEDULE(w3, w0, w1, w2);
            ROUNDS4(w3, g + 3);
        }
#undef ROUNDS4
#undef SCHEDULE
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
        data += 64;
    }

    tmp = _mm_shuffle_epi32(state0, 0x1B);  // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1);  // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);  // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);  // HGFE
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

static int has_sha_extensions(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

// -1: not probed yet. Probing twice from two threads is harmless (same answer).
static int accelerated = -1;

int cdigest_sha256_accelerated(void) {
    int value = __atomic_load_n(&accelerated, __ATOMIC_RELAXED);
    if (value < 0) {
        value = has_sha_extensions();
        __atomic_store_n(&accelerated, value, __ATOMIC_RELAXED);
    }
    return value;
}

void cdigest_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    if (cdigest_sha256_accelerated()) {
        sha256_blocks_shani(state, data, blocks);
    } else {
        cdigest_sha256_blocks_portable(state, data, blocks);
    }
}

#else

int cdigest_sha256_accelerated(void) { return 0; }

void cdigest_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    cdigest_sha256_blocks_portable(state, data, blocks);
}

#endif
