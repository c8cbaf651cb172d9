// armor's CUDA kernels: everything of a decoder layer except the linear layers (those go to cuSPARSELt for the
// 2:4 core and cuBLAS for dense weights and ARMOR's block-diagonal A and B).
//
// Conventions: activations are float32, row-major, one row per token; weights stay in their stored dtype and
// are converted in registers (bf16 and f16 by bit operations / intrinsics). Every kernel is extern "C" so its PTX
// entry has a plain name; the Java launch table (armor.runtime.cuda.CudaKernels) lists the same names and
// parameter kinds, and a test checks it against the shipped PTX.
//
// Rebuild the PTX after editing this file: gpu/src/main/cuda/build-ptx.sh (needs nvcc).

#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <stdint.h>

__device__ __forceinline__ float bf16_to_float(uint16_t bits) {
    return __uint_as_float(((uint32_t) bits) << 16);
}

// Round to nearest even, NaN kept quiet: the same rule as the CPU runtime's float -> bf16.
__device__ __forceinline__ uint16_t float_to_bf16(float value) {
    uint32_t bits = __float_as_uint(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t) ((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t) (bits >> 16);
}

// Sum over the block; every thread gets the total. blockDim.x must be a multiple of 32, at most 1024.
__device__ float block_sum(float value, float* scratch) {
    for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads(); // scratch may still be read by a previous reduction
    if (lane == 0) scratch[warp] = value;
    __syncthreads();
    int warps = blockDim.x >> 5;
    value = lane < warps ? scratch[lane] : 0.0f;
    for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
    return value;
}

__device__ float block_max(float value, float* scratch) {
    for (int offset = 16; offset > 0; offset >>= 1) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = value;
    __syncthreads();
    int warps = blockDim.x >> 5;
    value = lane < warps ? scratch[lane] : -INFINITY;
    for (int offset = 16; offset > 0; offset >>= 1) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
    return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding: out[t, :] = table[tokens[t], :]. Grid (tokens), block any.

extern "C" __global__ void embedding_bf16(float* out, const uint16_t* table, const int* tokens, int dim) {
    const uint16_t* row = table + (size_t) tokens[blockIdx.x] * dim;
    float* o = out + (size_t) blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = bf16_to_float(row[i]);
}

extern "C" __global__ void embedding_f16(float* out, const __half* table, const int* tokens, int dim) {
    const __half* row = table + (size_t) tokens[blockIdx.x] * dim;
    float* o = out + (size_t) blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = __half2float(row[i]);
}

extern "C" __global__ void embedding_f32(float* out, const float* table, const int* tokens, int dim) {
    const float* row = table + (size_t) tokens[blockIdx.x] * dim;
    float* o = out + (size_t) blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = row[i];
}

// ---------------------------------------------------------------------------------------------------------------
// RMSNorm: out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight. Grid (rows), block a multiple of 32.
// Rows may be tokens (hidden size) or token-heads (Qwen3's q/k norm over head_dim). out may equal x.

extern "C" __global__ void rmsnorm_f32(float* out, const float* x, const float* weight, int dim, float eps) {
    __shared__ float scratch[32];
    const float* row = x + (size_t) blockIdx.x * dim;
    float* o = out + (size_t) blockIdx.x * dim;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
    float scale = rsqrtf(block_sum(sum, scratch) / dim + eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = row[i] * scale * weight[i];
}

// ---------------------------------------------------------------------------------------------------------------
// RoPE as Hugging Face's rotate_half (Llama, Qwen): within each head, element i < rotary_dim/2 pairs with
// i + rotary_dim/2. inv_freq (rotary_dim/2 values) is computed on the host, so every RoPE scaling type (linear,
// dynamic, yarn, llama3) is a host-side concern. x holds rows of n_heads * head_dim per token, in place.
// Grid (tokens, n_heads), block >= rotary_dim / 2 (or loops).

extern "C" __global__ void rope_f32(float* x, const int* positions, const float* inv_freq, int n_heads, int head_dim,
                                    int rotary_dim) {
    int half = rotary_dim / 2;
    float* head = x + ((size_t) blockIdx.x * n_heads + blockIdx.y) * head_dim;
    float position = (float) positions[blockIdx.x];
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
        float s, c;
        sincosf(position * inv_freq[i], &s, &c);
        float a = head[i], b = head[i + half];
        head[i] = a * c - b * s;
        head[i + half] = b * c + a * s;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// KV cache. Layout per layer: cache[sequence][position][kv_dim] with kv_dim = n_kv_heads * head_dim and
// max_seq positions per sequence. Token t of the batch belongs to sequence seq_ids[t] at positions[t].
// Grid (tokens), block any.

extern "C" __global__ void kv_store_f32(float* k_cache, float* v_cache, const float* k, const float* v,
                                        const int* seq_ids, const int* positions, int kv_dim, int max_seq) {
    size_t slot = ((size_t) seq_ids[blockIdx.x] * max_seq + positions[blockIdx.x]) * kv_dim;
    const float* kr = k + (size_t) blockIdx.x * kv_dim;
    const float* vr = v + (size_t) blockIdx.x * kv_dim;
    for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
        k_cache[slot + i] = kr[i];
        v_cache[slot + i] = vr[i];
    }
}

// Causal grouped-query attention over the cache: query token t (head h) attends positions 0..positions[t] of its
// sequence, kv head h / (n_heads / n_kv_heads). q and out hold rows of n_heads * head_dim per token.
// Grid (tokens, n_heads), block a multiple of 32; dynamic shared memory (max position + 1 + head_dim) floats.

extern "C" __global__ void attention_f32(float* out, const float* q, const float* k_cache, const float* v_cache,
                                         const int* seq_ids, const int* positions, int n_heads, int n_kv_heads,
                                         int head_dim, int max_seq, float scale) {
    extern __shared__ float shared[];
    __shared__ float scratch[32];
    int t = blockIdx.x, h = blockIdx.y;
    int kv_head = h / (n_heads / n_kv_heads);
    int length = positions[t] + 1;
    int kv_dim = n_kv_heads * head_dim;
    float* qs = shared;             // head_dim
    float* scores = shared + head_dim; // length
    const float* qrow = q + ((size_t) t * n_heads + h) * head_dim;
    for (int i = threadIdx.x; i < head_dim; i += blockDim.x) qs[i] = qrow[i];
    __syncthreads();
    const float* keys = k_cache + (size_t) seq_ids[t] * max_seq * kv_dim + (size_t) kv_head * head_dim;
    const float* values = v_cache + (size_t) seq_ids[t] * max_seq * kv_dim + (size_t) kv_head * head_dim;
    float local_max = -INFINITY;
    for (int j = threadIdx.x; j < length; j += blockDim.x) {
        const float* key = keys + (size_t) j * kv_dim;
        float dot = 0.0f;
        for (int i = 0; i < head_dim; i++) dot += qs[i] * key[i];
        dot *= scale;
        scores[j] = dot;
        local_max = fmaxf(local_max, dot);
    }
    float max = block_max(local_max, scratch);
    float local_sum = 0.0f;
    for (int j = threadIdx.x; j < length; j += blockDim.x) {
        float e = __expf(scores[j] - max);
        scores[j] = e;
        local_sum += e;
    }
    float inv_sum = 1.0f / block_sum(local_sum, scratch); // block_sum's barriers also publish scores[]
    float* o = out + ((size_t) t * n_heads + h) * head_dim;
    for (int i = threadIdx.x; i < head_dim; i += blockDim.x) {
        float acc = 0.0f;
        for (int j = 0; j < length; j++) acc += scores[j] * values[(size_t) j * kv_dim + i];
        o[i] = acc * inv_sum;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Element-wise. Grid-stride loops: any grid and block.

// SwiGLU's gate: out = silu(gate) * up.
extern "C" __global__ void silu_mul_f32(float* out, const float* gate, const float* up, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float g = gate[i];
        out[i] = g / (1.0f + __expf(-g)) * up[i];
    }
}

// Residual add, in place: x += y.
extern "C" __global__ void add_f32(float* x, const float* y, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) x[i] += y[i];
}

// Bias of every row (Qwen2's q/k/v biases): y[r, c] += bias[c], n = rows * cols.
extern "C" __global__ void add_bias_f32(float* y, const float* bias, int cols, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) y[i] += bias[i % cols];
}

// Activations into and out of bf16, for cuSPARSELt and cuBLAS calls with bf16 operands.
extern "C" __global__ void f32_to_bf16(uint16_t* out, const float* x, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = float_to_bf16(x[i]);
}

extern "C" __global__ void bf16_to_f32(float* out, const uint16_t* x, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = bf16_to_float(x[i]);
}

// ---------------------------------------------------------------------------------------------------------------
// 8-bit activations for cuSPARSELt's int8 and e4m3 2:4 products: one scale per row (token), scale = max|x| / 127
// (int8, rounded to nearest even and clamped to +-127) or max|x| / 448 (e4m3, saturating to the finite range); an
// all-zero row gets scale 1. x is bf16 (what the linear layers take). Grid (rows), block a multiple of 32.

__device__ float row_absmax_bf16(const uint16_t* row, int cols, float* scratch) {
    float m = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, fabsf(bf16_to_float(row[i])));
    return block_max(m, scratch);
}

extern "C" __global__ void quantize_rows_int8(int8_t* out, float* scales, const uint16_t* x, int cols) {
    __shared__ float scratch[32];
    const uint16_t* row = x + (size_t) blockIdx.x * cols;
    float m = row_absmax_bf16(row, cols, scratch);
    float scale = m > 0.0f ? m / 127.0f : 1.0f;
    float inv = 1.0f / scale;
    int8_t* o = out + (size_t) blockIdx.x * cols;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        o[i] = (int8_t) fminf(127.0f, fmaxf(-127.0f, rintf(bf16_to_float(row[i]) * inv)));
    }
    if (threadIdx.x == 0) scales[blockIdx.x] = scale;
}

extern "C" __global__ void quantize_rows_e4m3(__nv_fp8_storage_t* out, float* scales, const uint16_t* x, int cols) {
    __shared__ float scratch[32];
    const uint16_t* row = x + (size_t) blockIdx.x * cols;
    float m = row_absmax_bf16(row, cols, scratch);
    float scale = m > 0.0f ? m / 448.0f : 1.0f;
    float inv = 1.0f / scale;
    __nv_fp8_storage_t* o = out + (size_t) blockIdx.x * cols;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        o[i] = __nv_cvt_float_to_fp8(bf16_to_float(row[i]) * inv, __NV_SATFINITE, __NV_E4M3);
    }
    if (threadIdx.x == 0) scales[blockIdx.x] = scale;
}

// After an 8-bit product (whose weight scales were cuSPARSELt's alpha vector): y[r, c] = d[r, c] * scales[r], the
// token's activation scale, bf16 in, float32 out. Grid-stride, n = rows * cols.
extern "C" __global__ void scale_rows_bf16_to_f32(float* y, const uint16_t* d, const float* scales, int cols, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        y[i] = bf16_to_float(d[i]) * scales[i / cols];
    }
}
