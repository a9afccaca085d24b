/* The decode loop of bench/native_decode_probe.py, in C: what a generator pays with no Python between tokens.
 *
 * Built there, against the same libllama the Python side loads:
 *   cc -O2 -shared -fPIC native_loop.c -I<llama include> -I<ggml include> -L<lib dir> -lllama -o libvdloop.so
 *
 * vd_decode_loop decodes `n` tokens one at a time from position `pos`, starting with `first`, and picks each
 * next token as `mode` says: 0 = none (a fixed token after llama_synchronize, as llama-bench's tg does),
 * 1 = the argmax of the logits row on the host, 2 = llama_sampler_sample with `smpl` (attached to the context
 * with llama_set_sampler, it samples on the device). The picked tokens go to `out`. Returns 0, or the failing
 * llama_decode's code.
 */
#include <stddef.h>
#include <stdint.h>

#include "llama.h"

int vd_decode_loop(struct llama_context * ctx, struct llama_sampler * smpl, int32_t n_vocab, llama_token first,
                   int32_t pos, int32_t n, int32_t mode, llama_token * out) {
    struct llama_batch b = llama_batch_init(1, 0, 1);
    b.n_tokens = 1;
    b.n_seq_id[0] = 1;
    b.seq_id[0][0] = 0;
    b.logits[0] = 1;
    llama_token tok = first;
    int rc = 0;
    for (int32_t i = 0; i < n; i++) {
        b.token[0] = tok;
        b.pos[0] = pos + i;
        rc = llama_decode(ctx, b);
        if (rc != 0) {
            break;
        }
        if (mode == 0) {
            llama_synchronize(ctx);
        } else if (mode == 1) {
            const float * row = llama_get_logits_ith(ctx, -1);
            int32_t best = 0;
            for (int32_t j = 1; j < n_vocab; j++) {
                if (row[j] > row[best]) {
                    best = j;
                }
            }
            tok = best;
        } else {
            tok = llama_sampler_sample(smpl, ctx, -1);
        }
        out[i] = tok;
    }
    llama_batch_free(b);
    return rc;
}
