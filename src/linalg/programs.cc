// The programs tern ships, written with ProgramBuilder. Each is numpywren's
// LAmbdaPACK program with the first version of a chain read from the input
// array under `if k == 0` (S[i, j, 0] is A[i, j]), and the last step of an
// accumulation writing the output under `if k == last`.
#include "linalg/builder.h"
#include "linalg/program.h"

namespace tern::linalg {

// C[i, j] = sum_k A[i, k] B[k, j]; T[i, j, k + 1] holds the first k + 1
// terms.
//
//   for i in range(M), j in range(N), k in range(K):
//     if k == 0:  if k == K - 1: C[i, j] = gemm(A[i, k], B[k, j])
//                 else:          T[i, j, 1] = gemm(A[i, k], B[k, j])
//     else:       if k == K - 1: C[i, j] = gemm_acc(T[i, j, k], A.., B..)
//                 else:          T[i, j, k + 1] = gemm_acc(T[i, j, k], ..)
Program GemmProgram() {
  ProgramBuilder b("gemm");
  Expr m = b.Parameter("M"), n = b.Parameter("N"), kk = b.Parameter("K");
  Array a = b.Input("A"), bm = b.Input("B"), c = b.Output("C");
  Array t = b.Temporary("T", 3);
  Expr last = b.Let("last", kk - 1);
  b.For("i", 0, m, [&](Expr i) {
    b.For("j", 0, n, [&](Expr j) {
      b.For("k", 0, kk, [&](Expr k) {
        b.If(
            k == 0,
            [&] {
              b.If(
                  k == last,
                  [&] {
                    b.Call("gemm", c(i, j), {a(i, k), bm(k, j)});
                  },
                  [&] {
                    b.Call("gemm", t(i, j, k + 1), {a(i, k), bm(k, j)});
                  });
            },
            [&] {
              b.If(
                  k == last,
                  [&] {
                    b.Call("gemm_acc", c(i, j),
                           {t(i, j, k), a(i, k), bm(k, j)});
                  },
                  [&] {
                    b.Call("gemm_acc", t(i, j, k + 1),
                           {t(i, j, k), a(i, k), bm(k, j)});
                  });
            });
      });
    });
  });
  return b.Build();
}

// numpywren's Cholesky: S[i, j, k] is block (i, j) after k trailing updates.
//
//   for k in range(N):
//     L[k, k] = chol(S[k, k, k])
//     for i in range(k + 1, N):
//       L[i, k] = trsm(L[k, k], S[i, k, k])
//       for j in range(k + 1, i + 1):
//         S[i, j, k + 1] = syrk(S[i, j, k], L[i, k], L[j, k])
// with S[., ., 0] read from A.
Program CholeskyProgram() {
  ProgramBuilder b("cholesky");
  Expr n = b.Parameter("N");
  Array a = b.Input("A"), l = b.Output("L"), s = b.Temporary("S", 3);
  // S[i, j, k], or A[i, j] for the first version.
  auto version = [&](Expr k, const std::function<void(const Ref&)>& call,
                     Expr i, Expr j) {
    b.If(
        k == 0, [&] { call(a(i, j)); }, [&] { call(s(i, j, k)); });
  };
  b.For("k", 0, n, [&](Expr k) {
    version(
        k, [&](const Ref& akk) { b.Call("chol", l(k, k), {akk}); }, k, k);
    b.For("i", k + 1, n, [&](Expr i) {
      version(
          k,
          [&](const Ref& aik) {
            b.Call("trsm", l(i, k), {l(k, k), aik});
          },
          i, k);
      b.For("j", k + 1, i + 1, [&](Expr j) {
        version(
            k,
            [&](const Ref& aij) {
              b.Call("syrk", s(i, j, k + 1), {aij, l(i, k), l(j, k)});
            },
            i, j);
      });
    });
  });
  return b.Build();
}

}  // namespace tern::linalg
