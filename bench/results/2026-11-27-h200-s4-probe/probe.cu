// Session probe (not shipped): times the library's kernels (old code, via its C entry points) against
// kernels compiled here from the working tree's headers (namespace sparsed_new), in one process.
#define sparsed sparsed_new
#include "../templates/runtime.cu"
#include "sparsed/select_sm90.cuh"
#include "sparsed/dense_fwd_sm90.cuh"
#include "sparsed/dense_ws_sm90.cuh"
#undef sparsed
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

extern "C" int sparsed_select_hd128_bm128_bn128_w8_s4_bf16_sm90a(const sparsed_select_params*, uint64_t);
extern "C" int sparsed_dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a(const sparsed_dense_params*, uint64_t);

#define CK(x) do { int rc_ = (x); if (rc_) { fprintf(stderr, "%s failed: %d %s\n", #x, rc_, sparsed_last_error()); exit(1); } } while (0)

static float time_ms(const std::function<int()>& f, int warm, int iters) {
  for (int i = 0; i < warm; ++i) CK(f());
  cudaEvent_t a, b;
  cudaEventCreate(&a); cudaEventCreate(&b);
  std::vector<float> v;
  for (int i = 0; i < iters; ++i) {
    cudaEventRecord(a); CK(f()); cudaEventRecord(b); cudaEventSynchronize(b);
    float ms; cudaEventElapsedTime(&ms, a, b); v.push_back(ms);
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int main(int argc, char** argv) {
  const char* only = getenv("PROBE_ONLY");  // substring filter on kernel names
  int iters = getenv("PROBE_ITERS") ? atoi(getenv("PROBE_ITERS")) : 7;
  std::vector<int> ns;
  for (int i = 1; i < argc; ++i) ns.push_back(atoi(argv[i]));
  if (ns.empty()) ns = {16384, 65536};
  const int H = 32, D = 128, B = 1, bs = 128;
  cudaDeviceProp prop; cudaGetDeviceProperties(&prop, 0);
  printf("device %s\n", prop.name);
  for (int N : ns) {
    const uint64_t elems = (uint64_t)B * N * H * D;
    uint64_t q, k, v, o, o2, lse, lse2, cnt, idx, cnt2, idx2;
    CK(sparsed_malloc(&q, elems * 2)); CK(sparsed_malloc(&k, elems * 2)); CK(sparsed_malloc(&v, elems * 2));
    CK(sparsed_malloc(&o, elems * 2)); CK(sparsed_malloc(&o2, elems * 2));
    CK(sparsed_malloc(&lse, (uint64_t)B * H * N * 4)); CK(sparsed_malloc(&lse2, (uint64_t)B * H * N * 4));
    const int nqb = (N + bs - 1) / bs, nkb = nqb;
    CK(sparsed_malloc(&cnt, (uint64_t)B * H * nqb * 4)); CK(sparsed_malloc(&idx, (uint64_t)B * H * nqb * nkb * 4));
    CK(sparsed_malloc(&cnt2, (uint64_t)B * H * nqb * 4)); CK(sparsed_malloc(&idx2, (uint64_t)B * H * nqb * nkb * 4));
    CK(sparsed_fill_uniform(q, elems, 0, 7, -1.5f, 1.5f, 0));
    CK(sparsed_fill_uniform(k, elems, 0, 8, -1.5f, 1.5f, 0));
    CK(sparsed_fill_uniform(v, elems, 0, 9, -1.5f, 1.5f, 0));
    sparsed_dense_params dp{};
    dp.q = q; dp.k = k; dp.v = v; dp.o = o; dp.lse = lse;
    const int64_t st[3] = {(int64_t)N * H * D, H * D, D};
    for (int i = 0; i < 3; ++i) dp.q_stride[i] = dp.k_stride[i] = dp.v_stride[i] = dp.o_stride[i] = st[i];
    dp.batch = B; dp.nq = dp.nk = N; dp.hq = dp.hkv = H; dp.head_dim = D; dp.scale = 1.f / sqrtf(D); dp.dtype = 0;
    sparsed_dense_params dp2 = dp; dp2.o = o2; dp2.lse = lse2;
    const double flops = 4.0 * B * H * (double)N * N * D;
    struct Row { std::string name; std::function<int()> f; std::vector<float> v; float ms; };
    std::vector<Row> rows;
    auto add = [&](const char* name, const std::function<int()>& f) {
      if (only && !strstr(name, only) && strcmp(name, "dense_lib")) return;
      rows.push_back({name, f, {}, 0.f});
    };
    add("dense_lib", [&] { return sparsed_dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a(&dp, 0); });
    add("dense_new", [&] { return sparsed_new::launch_dense_sm90<sparsed_new::DenseSm90Config<128, 128, 64, sparsed_new::bf16_t>>(&dp2, 0); });
    uint64_t o3, lse3, o4, lse4;
    CK(sparsed_malloc(&o3, elems * 2)); CK(sparsed_malloc(&lse3, (uint64_t)B * H * N * 4));
    CK(sparsed_malloc(&o4, elems * 2)); CK(sparsed_malloc(&lse4, (uint64_t)B * H * N * 4));
    sparsed_dense_params dp3 = dp; dp3.o = o3; dp3.lse = lse3;
    sparsed_dense_params dp4 = dp; dp4.o = o4; dp4.lse = lse4;
    add("dense_ws_bn128", [&] { return sparsed_new::launch_dense_ws_sm90<sparsed_new::DenseWsSm90Config<128, 128, sparsed_new::bf16_t>>(&dp3, 0); });
    add("dense_ws_nopp", [&] { return sparsed_new::launch_dense_ws_sm90<sparsed_new::DenseWsSm90Config<64 * 2, 128, sparsed_new::bf16_t, false>>(&dp4, 0); });
    CK(sparsed_dense_fwd_hd128_bm128_bn64_w8_s2_bf16_sm90a(&dp, 0));
    sparsed_select_params sp{};
    sp.q = q; sp.k = k; sp.lse = lse; sp.workspace = 0;
    for (int i = 0; i < 3; ++i) sp.q_stride[i] = sp.k_stride[i] = st[i];
    sp.batch = B; sp.nq = sp.nk = N; sp.hq = sp.hkv = H; sp.head_dim = D;
    sp.gen_length = N / 4 < 1024 ? N / 4 : 1024; sp.select = 0.3f; sp.sel_scale = 1.f / sqrtf(D); sp.dtype = 0;
    sp.pattern.counts = cnt; sp.pattern.indices = idx; sp.pattern.block_size = bs; sp.pattern.nqb = nqb; sp.pattern.nkb = nkb;
    sparsed_select_params sp2 = sp; sp2.pattern.counts = cnt2; sp2.pattern.indices = idx2;
    add("select_lib", [&] { return sparsed_select_hd128_bm128_bn128_w8_s4_bf16_sm90a(&sp, 0); });
    add("select_new", [&] { return sparsed_new::launch_select_sm90<sparsed_new::SelectSm90Config<128, 128, 128, 4, sparsed_new::bf16_t>>(&sp2, 0); });
    // Round robin (kernel order rotates each round), so clock and temperature drift hit all alike.
    for (auto& r : rows) for (int w = 0; w < 2; ++w) CK(r.f());
    cudaEvent_t ea, eb; cudaEventCreate(&ea); cudaEventCreate(&eb);
    for (int it = 0; it < iters; ++it)
      for (size_t j = 0; j < rows.size(); ++j) {
        Row& r = rows[(j + it) % rows.size()];
        cudaEventRecord(ea); CK(r.f()); cudaEventRecord(eb); cudaEventSynchronize(eb);
        float ms; cudaEventElapsedTime(&ms, ea, eb); r.v.push_back(ms);
      }
    for (auto& r : rows) { std::sort(r.v.begin(), r.v.end()); r.ms = r.v[r.v.size() / 2]; }
    CK(sparsed_synchronize());
    // Agreement of the new kernels with the library's.
    {
      std::vector<int> c1(B * H * nqb), c2(B * H * nqb), i1((size_t)B * H * nqb * nkb), i2(i1.size());
      CK(sparsed_memcpy_dtoh(c1.data(), cnt, c1.size() * 4)); CK(sparsed_memcpy_dtoh(c2.data(), cnt2, c2.size() * 4));
      CK(sparsed_memcpy_dtoh(i1.data(), idx, i1.size() * 4)); CK(sparsed_memcpy_dtoh(i2.data(), idx2, i2.size() * 4));
      int bad = 0;
      for (size_t r = 0; r < c1.size(); ++r)
        if (c1[r] != c2[r] || memcmp(&i1[r * nkb], &i2[r * nkb], nkb * 4)) ++bad;
      printf("N=%d select: %d of %zu pattern rows differ (new vs lib)\n", N, bad, c1.size());
      std::vector<float> l1(B * H * N), l2(l1.size());
      std::vector<uint16_t> a1(elems), a2(elems);
      CK(sparsed_memcpy_dtoh(l1.data(), lse, l1.size() * 4));
      CK(sparsed_memcpy_dtoh(a1.data(), o, elems * 2));
      auto bf = [](uint16_t x) { uint32_t u = (uint32_t)x << 16; float f; memcpy(&f, &u, 4); return f; };
      const char* names[3] = {"dense_new", "dense_ws_bn128", "dense_ws_nopp"};
      uint64_t os[3] = {o2, o3, o4}, ls[3] = {lse2, lse3, lse4};
      for (int v = 0; v < 3; ++v) {
        CK(sparsed_memcpy_dtoh(l2.data(), ls[v], l2.size() * 4)); CK(sparsed_memcpy_dtoh(a2.data(), os[v], elems * 2));
        double mo = 0, ml = 0, so = 0;
        for (size_t i = 0; i < elems; ++i) { double d = fabs(bf(a1[i]) - bf(a2[i])); mo = fmax(mo, d); so += d; if (d != d) mo = 1e9; }
        for (size_t i = 0; i < l1.size(); ++i) ml = fmax(ml, fabs(l1[i] - l2[i]));
        printf("N=%d %s: max |O - O lib| = %.3g (mean %.3g), max |lse diff| = %.3g\n", N, names[v], mo, so / elems, ml);
      }
    }
    float dms = rows[0].ms;
    for (auto& r : rows)
      printf("N=%6d %-14s %9.3f ms  x dense_lib %.3f  %s\n", N, r.name.c_str(), r.ms, r.ms / dms,
             r.name.rfind("dense", 0) == 0 ? (std::to_string(flops / r.ms / 1e9) + " TFLOP/s").c_str() : "");
    for (uint64_t p : {q, k, v, o, o2, o3, o4, lse, lse2, lse3, lse4, cnt, idx, cnt2, idx2}) sparsed_free(p);
  }
  return 0;
}
